// Package filelock holds ybuild's advisory file locks (flock(2), on Linux
// and macOS): a lock file that serialises writers of one OCI layout's
// index.json, and temporary files and directories that stay locked while
// the process that made them is alive, so that the next build can tell
// the leftovers of a killed build (unlocked) from the work of a live one
// (locked) and remove only the former.
//
// Locks belong to open files: the kernel releases them when the process
// exits, however it exits (kill -9 included). Nothing here reads a clock
// or a process id.
package filelock
