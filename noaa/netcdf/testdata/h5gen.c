/*
 * h5gen writes ../../../testdata/nc/h5index.nc: plain HDF5 datasets laid out
 * with the chunk indexes that h5repack cannot produce (implicit index from
 * early allocation, paged fixed array, extensible array with super blocks,
 * v2 B-tree). With a second argument it also writes a file with superblock
 * version 1 (a non-default chunk B-tree K) and the earliest format. It
 * links against the system libhdf5 without its headers:
 *
 *   gcc -o /tmp/h5gen h5gen.c -l:libhdf5_serial.so.103 && /tmp/h5gen h5index.nc h5sb1.nc
 *
 * Declarations follow HDF5 1.10 (hid_t is 64-bit).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int64_t hid_t;
typedef int herr_t;
typedef unsigned long long hsize_t;

extern hid_t H5P_CLS_FILE_ACCESS_ID_g, H5P_CLS_DATASET_CREATE_ID_g, H5P_CLS_FILE_CREATE_ID_g;
extern hid_t H5T_NATIVE_INT_g, H5T_NATIVE_FLOAT_g, H5T_STD_I16BE_g, H5T_NATIVE_SHORT_g;
herr_t H5open(void);
hid_t H5Pcreate(hid_t);
herr_t H5Pset_libver_bounds(hid_t, int, int);
herr_t H5Pset_chunk(hid_t, int, const hsize_t *);
herr_t H5Pset_alloc_time(hid_t, int);
herr_t H5Pset_fill_value(hid_t, hid_t, const void *);
herr_t H5Pset_deflate(hid_t, unsigned);
herr_t H5Pset_istore_k(hid_t, unsigned);
herr_t H5Pset_shuffle(hid_t);
hid_t H5Fcreate(const char *, unsigned, hid_t, hid_t);
hid_t H5Screate_simple(int, const hsize_t *, const hsize_t *);
hid_t H5Dcreate2(hid_t, const char *, hid_t, hid_t, hid_t, hid_t, hid_t);
herr_t H5Dwrite(hid_t, hid_t, hid_t, hid_t, hid_t, const void *);
herr_t H5Dclose(hid_t);
herr_t H5Sclose(hid_t);
herr_t H5Pclose(hid_t);
herr_t H5Fclose(hid_t);

#define H5F_ACC_TRUNC 0x0002u
#define H5P_DEFAULT 0
#define H5S_ALL 0
#define H5S_UNLIMITED ((hsize_t)(int64_t)-1)
#define H5D_ALLOC_TIME_EARLY 1
#define H5F_LIBVER_LATEST 2

static void dataset(hid_t f, const char *name, hid_t ftype, int rank, hsize_t *dims, hsize_t *maxdims,
                    hsize_t *chunk, int early, int deflate, int partial) {
	hid_t dcpl = H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g);
	H5Pset_chunk(dcpl, rank, chunk);
	int fill = -7;
	H5Pset_fill_value(dcpl, H5T_NATIVE_INT_g, &fill);
	if (early)
		H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
	if (deflate)
		H5Pset_deflate(dcpl, 6);
	hid_t sp = H5Screate_simple(rank, dims, maxdims);
	hid_t d = H5Dcreate2(f, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	hsize_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= dims[i];
	int *v = malloc(n * sizeof(int));
	for (hsize_t i = 0; i < n; i++)
		v[i] = (int)(i * 3 + 1);
	if (!partial)
		H5Dwrite(d, H5T_NATIVE_INT_g, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
	free(v);
	H5Dclose(d);
	H5Sclose(sp);
	H5Pclose(dcpl);
}

int main(int argc, char **argv) {
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: h5gen out.nc [sb1.nc]\n");
		return 2;
	}
	H5open();
	hid_t fapl = H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g);
	H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
	hid_t f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
	if (f < 0)
		return 1;
	{ /* implicit index: fixed dims, early allocation, no filter; partial edge chunks */
		hsize_t dims[2] = {7, 5}, chunk[2] = {3, 2};
		dataset(f, "implicit", H5T_NATIVE_INT_g, 2, dims, NULL, chunk, 1, 0, 0);
	}
	{ /* fixed array with more chunks than one page (1024) */
		hsize_t dims[1] = {3000}, chunk[1] = {2};
		dataset(f, "fixed_paged", H5T_NATIVE_INT_g, 1, dims, NULL, chunk, 0, 1, 0);
	}
	{ /* extensible array reaching its super blocks */
		hsize_t dims[1] = {2500}, maxd[1] = {H5S_UNLIMITED}, chunk[1] = {1};
		dataset(f, "earray_big", H5T_STD_I16BE_g, 1, dims, maxd, chunk, 0, 0, 0);
	}
	{ /* v2 B-tree: two unlimited dimensions, filtered */
		hsize_t dims[2] = {9, 4}, maxd[2] = {H5S_UNLIMITED, H5S_UNLIMITED}, chunk[2] = {2, 3};
		dataset(f, "btree2", H5T_NATIVE_INT_g, 2, dims, maxd, chunk, 0, 1, 0);
	}
	{ /* never written: every element is the fill value */
		hsize_t dims[1] = {10}, chunk[1] = {4};
		dataset(f, "unwritten", H5T_NATIVE_INT_g, 1, dims, NULL, chunk, 0, 1, 1);
	}
	H5Fclose(f);
	H5Pclose(fapl);
	if (argc == 3) {
		hid_t fcpl = H5Pcreate(H5P_CLS_FILE_CREATE_ID_g);
		H5Pset_istore_k(fcpl, 8); /* non-default K forces superblock v1 */
		hid_t g = H5Fcreate(argv[2], H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
		if (g < 0)
			return 1;
		hsize_t dims[2] = {40, 3}, maxd[2] = {H5S_UNLIMITED, 3}, chunk[2] = {2, 3};
		/* 20 chunks with K=8 (16 entries per node): a two-level B-tree */
		dataset(g, "deep", H5T_NATIVE_INT_g, 2, dims, maxd, chunk, 0, 1, 0);
		hsize_t d1[1] = {5}, c1[1] = {5};
		dataset(g, "small", H5T_STD_I16BE_g, 1, d1, NULL, c1, 0, 0, 0);
		H5Fclose(g);
		H5Pclose(fcpl);
	}
	return 0;
}
