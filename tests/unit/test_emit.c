/*
 * test_emit.c: protocol/emit.c, JSON written without hand-placed commas:
 * commas between values and none after a key, rows added one callback at a
 * time, strings escaped as the relay always escaped them, and refusals
 * (too deep, unbalanced, a full buffer) that write nothing more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emit.h"

/* The buffer's text, as a C string for comparison. */
static const char *text_of(struct buf *b)
{
	static char s[1024];
	size_t n = buf_len(b) < sizeof(s) - 1 ? buf_len(b) : sizeof(s) - 1;

	memcpy(s, buf_ptr(b), n);
	s[n] = '\0';
	return s;
}

static void test_object_with_commas(void **state)
{
	struct buf b;
	struct emit e;

	(void)state;
	buf_init(&b, 4096);
	emit_init(&e, &b);
	emit_object_begin(&e);
	emit_kint(&e, "ticket", 42);
	emit_kstring(&e, "tier", "L2");
	emit_kbool(&e, "owned", false);
	emit_key(&e, "escalation");
	emit_null(&e);
	emit_kuint(&e, "size", 18446744073709551615ull);
	emit_object_end(&e);
	emit_newline(&e);
	assert_int_equal(emit_failed(&e), 0);
	assert_string_equal(text_of(&b),
			    "{\"ticket\":42,\"tier\":\"L2\",\"owned\":false,\"escalation\":null,"
			    "\"size\":18446744073709551615}\n");
	buf_free(&b);
}

static void test_nested_and_empty(void **state)
{
	struct buf b;
	struct emit e;

	(void)state;
	buf_init(&b, 4096);
	emit_init(&e, &b);
	emit_object_begin(&e);
	emit_key(&e, "events");
	emit_array_begin(&e);
	emit_array_end(&e);
	emit_key(&e, "rows");
	emit_array_begin(&e);
	for (int i = 1; i <= 3; i++) { /* as store callbacks add rows: no first-row flag of their own */
		emit_object_begin(&e);
		emit_kint(&e, "id", i);
		emit_key(&e, "tags");
		emit_array_begin(&e);
		emit_string(&e, "a");
		emit_int(&e, -i);
		emit_array_end(&e);
		emit_object_end(&e);
	}
	emit_array_end(&e);
	emit_key(&e, "inner");
	emit_object_begin(&e);
	emit_object_end(&e);
	emit_object_end(&e);
	emit_newline(&e);
	/* A second document on the next line starts without a comma. */
	emit_object_begin(&e);
	emit_object_end(&e);
	emit_newline(&e);
	assert_int_equal(emit_failed(&e), 0);
	assert_string_equal(text_of(&b), "{\"events\":[],\"rows\":[{\"id\":1,\"tags\":[\"a\",-1]},"
					 "{\"id\":2,\"tags\":[\"a\",-2]},{\"id\":3,\"tags\":[\"a\",-3]}],\"inner\":{}}\n"
					 "{}\n");
	buf_free(&b);
}

static void test_strings_escaped(void **state)
{
	struct buf b;
	struct emit e;

	(void)state;
	buf_init(&b, 4096);
	emit_init(&e, &b);
	emit_array_begin(&e);
	emit_string(&e, "say \"hi\" \\ bye");
	emit_string(&e, "line\none\ttab\x1b[2J\x1f");
	emit_string(&e, "プリンター \x7f");
	emit_string(&e, NULL);
	emit_array_end(&e);
	assert_int_equal(emit_failed(&e), 0);
	assert_string_equal(text_of(&b), "[\"say \\\"hi\\\" \\\\ bye\",\"line\\u000aone\\u0009tab\\u001b[2J\\u001f\","
					 "\"プリンター \x7f\",\"\"]");
	buf_reset(&b);
	assert_int_equal(emit_json_string(&b, "a\"b"), 0);
	assert_string_equal(text_of(&b), "\"a\\\"b\"");
	buf_free(&b);
}

/* Bytes from others (webhook bodies): always strict JSON, whatever they hold. */
static void test_bytes_as_data(void **state)
{
	static const char in[] = "a\"\\\x00\x1b\x7f \xc2\x85 \xe2\x80\xa8 \xff\xc3 プ\xe3\x83";
	struct buf b;
	struct emit e;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(emit_json_bytes(&b, in, sizeof(in) - 1), 0);
	/* NUL, ESC, DEL, C1 NEL and LINE SEPARATOR escaped; each invalid byte one U+FFFD; a cut character too. */
	assert_string_equal(text_of(&b), "\"a\\\"\\\\\\u0000\\u001b\\u007f \\u0085 \\u2028 \\ufffd\\ufffd プ\\ufffd\\ufffd\"");
	buf_reset(&b);
	emit_init(&e, &b);
	emit_object_begin(&e);
	emit_kbytes(&e, "t", "x", 1);
	emit_key(&e, "b");
	emit_base64(&e, "\x00\xff" "ab", 4);
	emit_key(&e, "e");
	emit_base64(&e, "", 0);
	emit_object_end(&e);
	assert_int_equal(emit_failed(&e), 0);
	assert_string_equal(text_of(&b), "{\"t\":\"x\",\"b\":\"AP9hYg==\",\"e\":\"\"}");
	buf_free(&b);
}

/* A base64 run longer than one encoding chunk is one unbroken string. */
static void test_base64_long(void **state)
{
	static uint8_t in[10000];
	struct buf b;
	struct emit e;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	buf_init(&b, 65536);
	emit_init(&e, &b);
	emit_base64(&e, in, sizeof(in));
	assert_int_equal(emit_failed(&e), 0);
	assert_int_equal(buf_len(&b), 2 + 4 * ((sizeof(in) + 2) / 3));
	assert_null(memchr(buf_ptr(&b), '=', buf_len(&b) - 3));
	buf_free(&b);
}

static void test_refusals(void **state)
{
	struct buf b;
	struct emit e;

	(void)state;
	buf_init(&b, 4096);
	emit_init(&e, &b);
	for (int i = 0; i < EMIT_DEPTH_MAX; i++)
		emit_array_begin(&e);
	assert_int_equal(emit_failed(&e), 0);
	emit_array_begin(&e);
	assert_int_equal(emit_failed(&e), 1);
	emit_int(&e, 1); /* nothing more is written once refused */
	assert_int_equal(buf_len(&b), EMIT_DEPTH_MAX);

	buf_reset(&b);
	emit_init(&e, &b);
	emit_array_end(&e); /* nothing open */
	assert_int_equal(emit_failed(&e), 1);

	emit_init(&e, &b);
	emit_key(&e, "top"); /* a key outside an object */
	assert_int_equal(emit_failed(&e), 1);

	emit_init(&e, &b);
	emit_object_begin(&e);
	emit_key(&e, "k");
	emit_object_end(&e); /* a key without its value */
	assert_int_equal(emit_failed(&e), 1);

	emit_init(&e, &b);
	emit_object_begin(&e);
	emit_newline(&e); /* a document still open */
	assert_int_equal(emit_failed(&e), 1);
	buf_free(&b);

	/* A full buffer fails the emitter and the rest is dropped. */
	buf_init(&b, 8);
	emit_init(&e, &b);
	emit_array_begin(&e);
	emit_string(&e, "far too long for eight bytes");
	assert_int_equal(emit_failed(&e), 1);
	emit_array_end(&e);
	assert_true(buf_len(&b) <= 8);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_with_commas),
		cmocka_unit_test(test_nested_and_empty),
		cmocka_unit_test(test_strings_escaped),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bytes_as_data),
		cmocka_unit_test(test_base64_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
