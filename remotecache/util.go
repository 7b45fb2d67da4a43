package remotecache

import (
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
)

// specsVersioned is schemaVersion 2.
var specsVersioned = specs.Versioned{SchemaVersion: 2}

// digestOf returns the sha256 digest of data.
func digestOf(data []byte) digest.Digest { return digest.FromBytes(data) }
