"""Test support, not tests: loopback fake Slack and HubSpot, the payload checker, NOW, the bot harness."""
