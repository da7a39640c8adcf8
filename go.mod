module github.com/mos-tools/publisher-keys

go 1.26.0

toolchain go1.26.10

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/sethvargo/go-githubactions v1.4.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
)
