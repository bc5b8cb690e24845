"""Command-line subcommands, one module each; __main__ only dispatches."""
