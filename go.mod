module github.com/siogen/siogen

go 1.25.0

require (
	github.com/coder/websocket v1.8.15
	github.com/dave/jennifer v1.7.1
	github.com/vmihailenco/msgpack/v5 v5.4.1
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
