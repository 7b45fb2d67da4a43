// Package trust remembers which blob files were verified, so that a blob
// is not hashed again while it is provably unchanged.
//
// A record, kept in DIR/trust/<algorithm>-<hex>.json (DIR is the cache
// directory), lists the identities (device, inode, size, mtime, ctime) that
// files holding that blob had when their content was checked. A file is
// trusted while its identity is one of them: any write changes its ctime,
// and a file put in its place is another inode. Records are "racy" in
// git's sense when the file changed in the same clock tick as the record
// was taken (a later write in that tick would keep the ctime); such a
// record is not written, and the file is hashed again next time.
//
// A blob this process wrote or hashed is trusted for the rest of the build
// while its identity is unchanged (Note), and recorded by Flush at the end
// of the build, when its last change lies in an earlier clock tick.
package trust
