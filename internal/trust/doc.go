// Package trust remembers which blob files were verified, so that a blob
// is not hashed again while it is provably unchanged.
//
// A record, kept in DIR/trust/<algorithm>-<hex>.json (DIR is the cache
// directory), lists the identities (device, inode, size, mtime, ctime) that
// files holding that blob had when their content was checked, each with
// the moment (file-system clock) it was taken. A file is trusted while its
// identity is one of them: any write changes its ctime, and a file put in
// its place is another inode. An identity is "racily clean" in git's sense
// when the file's mtime or ctime is not strictly older than the moment it
// was taken: a foreign write later in that clock tick would keep the
// identity. Such an identity is never trusted from a record (and not
// written to one): the file is hashed again next time, and recorded then.
//
// A blob this process wrote or hashed is trusted for the rest of the build
// while its identity is unchanged (Note), and recorded by Flush at the end
// of the build unless it is racy. A file this process has just written or
// linked (a link changes the ctime) is racy by nature, so the next build
// hashes it once.
package trust
