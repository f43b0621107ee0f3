"""The `shoal` command line client: one module per noun, talking to the manager through shoal.client."""
