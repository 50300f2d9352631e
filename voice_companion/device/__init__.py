"""Living on a real device: models, the systemd service, reminders, audio devices by name."""
