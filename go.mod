module github.com/gridwarn/gridwarn

go 1.26.8

require github.com/santhosh-tekuri/jsonschema/v6 v6.0.3

require (
	github.com/caarlos0/env/v11 v11.4.2 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/text v0.14.0 // indirect
)
