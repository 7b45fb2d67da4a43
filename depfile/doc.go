// Package depfile lists the files a build reads and writes them as a
// Makefile dependency file ("target: prerequisites…"), so that make
// rebuilds an image exactly when one of its inputs changed.
//
// Inputs are listed generously: every file and directory under a copied
// directory or a glob's base (excluded ones too, and directories so that a
// new file is noticed), the archives extracted, and whatever local base
// (layout index, archive) the spec names. A change to a listed file that
// does not reach the image makes make run ybuild again, which writes the
// same digest; a change that reaches the image is never missed.
package depfile
