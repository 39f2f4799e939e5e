# syntax=docker/dockerfile:1
#
# docker build --build-arg VERSION=$(git describe --tags --always) -t gridwarn .
# docker run -p 8080:8080 -e GRIDWARN_DATABASE_URL=postgres://... \
#   -v gridwarn-data:/var/lib/gridwarn gridwarn
# then, once: docker exec <container> gridwarn unit <code> --name-zh <name>
#             docker exec <container> gridwarn user create admin --role admin --scope county:<code>
#             docker exec <container> gridwarn token create admin
#
# The embedded NATS server listens on 127.0.0.1 inside the container by
# default, so publishers outside the container cannot reach it (EXPOSE alone
# does not change that). Set GRIDWARN_NATS_EMBEDDED_HOST=0.0.0.0 (and publish
# 4222, with authentication configured) to accept events from outside, or
# point GRIDWARN_NATS_URL at an external NATS server instead.

# The Go release go.mod names; GOTOOLCHAIN makes go fetch it from the module
# proxy should GO_VERSION name an image with another Go (the images default to
# GOTOOLCHAIN=local, which would build with the image's own standard library).
ARG GO_VERSION=1.27.3

FROM golang:${GO_VERSION}-bookworm AS build
ENV GOTOOLCHAIN=go1.27.3
WORKDIR /src
# Modules first: this layer is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/gridwarn/gridwarn/internal/version.Version=${VERSION}" \
      -o /out/gridwarn ./cmd/gridwarn
# An empty data directory to copy with the right owner: distroless has no
# shell to mkdir/chown in the final stage, and WORKDIR would create it as root.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gridwarn /usr/local/bin/gridwarn
COPY configs/gridwarn.yaml /etc/gridwarn/gridwarn.yaml
COPY --from=build --chown=65532:65532 /out/data /var/lib/gridwarn
USER nonroot:nonroot
WORKDIR /var/lib/gridwarn
ENV GRIDWARN_DATA_DIR=/var/lib/gridwarn \
    GRIDWARN_API_LISTEN=0.0.0.0:8080
# 8080: HTTP API. 4222: embedded NATS (reachable from outside only with
# GRIDWARN_NATS_EMBEDDED_HOST=0.0.0.0, see above).
EXPOSE 8080 4222
ENTRYPOINT ["/usr/local/bin/gridwarn"]
CMD ["serve", "--config", "/etc/gridwarn/gridwarn.yaml"]
