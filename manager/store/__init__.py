"""The only package that talks to etcd: the key schema and the typed store."""
