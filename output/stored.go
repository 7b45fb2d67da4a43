package output

// StoredIn reports whether a writer that holds h keeps attachment a when
// the image is written with WriteAttached: a registry pushes every
// attachment; a layout or OCI archive lists the referrers and the cosign
// images that carry a Kind (see attachedEntries).
func (a Attachment) StoredIn(h Holds) bool {
	if h.Path == "" {
		return true // a registry
	}
	return a.Subject != nil || a.Kind != ""
}
