/* SPDX-License-Identifier: BSD-3-Clause
 * check_main.c - main() for every unit test: runs unit_suite() and exits
 * non-zero if any test failed. */
#include <stdlib.h>

#include "check_main.h"

int main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
