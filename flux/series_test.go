package flux

import (
	"reflect"
	"testing"
)

func TestSortedUnique(t *testing.T) {
	tests := []struct {
		name string
		in   Series
		want Series
	}{
		{"empty", Series{}, Series{Time: []int64{}, Flux: []float32{}}},
		{"sorted", Series{Time: []int64{1, 2, 3}, Flux: []float32{1, 2, 3}}, Series{Time: []int64{1, 2, 3}, Flux: []float32{1, 2, 3}}},
		{"unsorted", Series{Time: []int64{3, 1, 2}, Flux: []float32{3, 1, 2}}, Series{Time: []int64{1, 2, 3}, Flux: []float32{1, 2, 3}}},
		{"first duplicate wins", Series{Time: []int64{2, 1, 2, 1}, Flux: []float32{20, 10, 21, 11}}, Series{Time: []int64{1, 2}, Flux: []float32{10, 20}}},
		{"adjacent duplicates", Series{Time: []int64{1, 1, 1}, Flux: []float32{5, 6, 7}}, Series{Time: []int64{1}, Flux: []float32{5}}},
		{"ragged lengths", Series{Time: []int64{2, 1, 3}, Flux: []float32{2, 1}}, Series{Time: []int64{1, 2}, Flux: []float32{1, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SortedUnique(tc.in)
			if got.Time == nil {
				got.Time = []int64{}
			}
			if got.Flux == nil {
				got.Flux = []float32{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SortedUnique(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
