"""The app driven over HTTP: signed requests to the real Bolt app, and engine-bot serve processes."""
