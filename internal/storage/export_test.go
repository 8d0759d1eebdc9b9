package storage

import "io"

// ProcessImage exposes processImage to the external tests' benchmarks; it returns the thumbnail's bytes.
func ProcessImage(r io.ReadSeeker, contentType string, maxPixels int) ([]byte, error) {
	pic, err := processImage(r, contentType, maxPixels)
	return pic.thumb, err
}
