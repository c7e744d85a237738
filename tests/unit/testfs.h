/*
 * testfs.h: removing what a unit test wrote under its temporary directory.
 *
 * Fixtures used to unlink a list of names they expected, so a file the code
 * under test later learnt to write (the relay's audit-head) left the
 * directory behind in /tmp on every run. Removing the whole tree does not
 * depend on knowing what is inside it.
 */
#ifndef HANDOFF_TESTS_TESTFS_H
#define HANDOFF_TESTS_TESTFS_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static int testfs_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything under it without following symlinks. 0 or -1. */
static inline int testfs_remove_tree(const char *dir)
{
	return nftw(dir, testfs_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
