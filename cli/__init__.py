"""The rumour command-line interface."""
