package registry

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Origin is implemented by blob sources whose blobs are read from a
// registry repository (any kind of base that does so). A push to the same
// registry mounts such a blob from its repository instead of uploading it;
// a push to another registry streams it from there, unless the source has
// it as a local file already.
type Origin interface {
	// Origin returns the repository desc is read from, and false when desc
	// does not come from a registry.
	Origin(desc ocispec.Descriptor) (Reference, bool)
}

// MountAnnotation returns desc with containerd's distribution source
// annotation for the repository from, which makes a containerd pusher
// mount the blob from there when the target is on the same registry.
func MountAnnotation(desc ocispec.Descriptor, from Reference) ocispec.Descriptor {
	key, repo := from.sourceAnnotation()
	ann := make(map[string]string, len(desc.Annotations)+1)
	for k, v := range desc.Annotations {
		ann[k] = v
	}
	ann[key] = repo
	desc.Annotations = ann
	return desc
}
