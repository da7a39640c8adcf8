# The action's image. GitHub builds it from this file for `uses:
# mos-tools/publisher-keys@v1`, and the release workflow builds the same file
# for linux/amd64 and linux/arm64 and pushes it to ghcr.io.
#
# The build needs nothing from a package manager: the final stage takes its CA
# bundle from the build stage. scripts/container-test.sh depends on that, since
# it stands in for the builder image with `docker import` where no registry can
# be reached. Plain layer caching only (no RUN --mount): Docker's legacy builder,
# still the default on self-hosted runners with Docker < 23, must build it too.

# A patched Go release, pinned; Dependabot proposes newer tags.
FROM golang:1.27.3-bookworm AS build

WORKDIR /src

# Passed through by the container test so the build uses the same module proxy
# as the machine it runs on; unset means Go's defaults.
ARG GOPROXY

# Modules in a layer of their own: editing code does not download them again.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .

# Declared after the download so that a new version only rebuilds the binary.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X github.com/mos-tools/publisher-keys/internal/version.version=${VERSION}" \
        -o /out/publisher-keys .

# The final image: the static binary and the CA bundle, nothing else. No shell,
# no package manager, no /etc/passwd (the binary looks up no users).
FROM scratch

COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/publisher-keys /publisher-keys

# No USER line, on purpose. GitHub runs a Docker action as the image's default
# user and documents that it must be root: the runner creates the files behind
# GITHUB_OUTPUT and GITHUB_STEP_SUMMARY under /github/file_commands as its own
# user, and a non-root user in the container cannot write them, so every run
# would fail. scripts/container-test.sh checks this on every run.

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED
LABEL org.opencontainers.image.title="publisher-keys" \
      org.opencontainers.image.description="Checks an App Store Connect API key and puts it into mos.portal only when it changed" \
      org.opencontainers.image.source="https://github.com/mos-tools/publisher-keys" \
      org.opencontainers.image.url="https://github.com/mos-tools/publisher-keys" \
      org.opencontainers.image.documentation="https://github.com/mos-tools/publisher-keys#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="mos-tools" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"

# Absolute and in exec form: the runner passes `args:` from action.yml straight
# to it, with no shell in between (there is none in the image).
ENTRYPOINT ["/publisher-keys"]
