# syntax=docker/dockerfile:1
# opswiki: one static binary in a minimal image, running as a non-root user
# with the wiki's data in the /data volume.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.Version=${VERSION}" \
      -o /out/opswiki ./cmd/opswiki \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/opswiki /usr/local/bin/opswiki
# The nonroot user (65532) owns the data directory so the volume starts writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
ENV OPSWIKI_DATA=/data
# --auth none is refused off loopback unless --insecure-open is given: put the
# container behind an authenticating proxy before exposing it.
ENTRYPOINT ["/usr/local/bin/opswiki"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--insecure-open"]
