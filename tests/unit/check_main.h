/* SPDX-License-Identifier: BSD-3-Clause
 * check_main.h - the one main() every unit test shares (check_main.c): a test
 * file defines unit_suite() and check_main.c runs it. CK_RUN_SUITE,
 * CK_RUN_CASE and CK_FORK work as Check documents them. */
#ifndef DNSD_TEST_CHECK_MAIN_H
#define DNSD_TEST_CHECK_MAIN_H

#include <check.h>

/* The suite of this test binary; check_main.c runs it and frees it. */
Suite *unit_suite(void);

#endif
