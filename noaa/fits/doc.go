// Package fits reads the subset of FITS (Flexible Image Transport System) that the SDAC
// GOES XRS archive uses: 2880-byte blocks of 80-character header cards, primary arrays,
// IMAGE extensions and BINTABLE extensions with fixed-size columns (vector columns such
// as 2E or 42177D included), all big-endian, optionally wrapped in gzip.
//
// Open checks every declared size against the size of the file before anything is
// allocated, so a hostile or truncated file gives an error, never a panic or a huge
// allocation.
package fits
