/*
 * test_tech_keys.c: unit tests for technician/keys.c, which turns what the
 * technician types into X keysyms and names keysyms in replays. A
 * character must reach the customer as itself, and naming one must not
 * leak (libX11's name for a Unicode keysym is a malloc nobody frees).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

static void characters_become_keysyms(void **state)
{
	(void)state;
	assert_int_equal(tech_keys_from_codepoint('A'), 0x41);
	assert_int_equal(tech_keys_from_codepoint(0xe9), 0xe9);
	assert_int_equal(tech_keys_from_codepoint(0x65e5), 0x010065e5);
	assert_int_equal(tech_keys_from_codepoint('\n'), 0xff0d);
	assert_int_equal(tech_keys_from_codepoint(0x1b), 0);
	assert_int_equal(tech_keys_from_codepoint(0x9b), 0);
}

/* Under LeakSanitizer (make check's sanitizer build) this case failed while libX11 named them. */
static void unicode_keysyms_are_named_without_libx11(void **state)
{
	char name[32];

	(void)state;
	tech_keys_name(0x010065e5, name, sizeof(name));
	assert_string_equal(name, "U65E5");
	tech_keys_name(0x0101f600, name, sizeof(name));
	assert_string_equal(name, "U01F600");
	tech_keys_name(0xff0d, name, sizeof(name));
	assert_string_equal(name, "Return");
	tech_keys_name(0x61, name, sizeof(name));
	assert_string_equal(name, "a");
	tech_keys_name(0x7fffffff, name, sizeof(name));
	assert_string_equal(name, "0x7fffffff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(characters_become_keysyms),
		cmocka_unit_test(unicode_keysyms_are_named_without_libx11),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
