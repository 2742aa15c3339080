"""Loopback HTTP servers that behave like HubSpot and the Slack Web API, for tests and benchmarks."""
