/*
 * Request Tracker's answers (relay/rt_json.c) as RT 5.0.3 sends them
 * (copied from a real RT's REST 2, ids as strings), and what else may
 * answer at its URL: an HTML page, JSON cut short, trailing bytes, nesting
 * past the cap, ids of the wrong type, transactions out of order, text
 * that is not UTF-8. Each refusal has its sentence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_id(void **state)
{
	int64_t id = 0;
	char why[160];

	(void)state;
	assert_int_equal(rt_json_id(S("{\"id\":\"12\",\"type\":\"ticket\",\"_url\":\"http://x/REST/2.0/ticket/12\"}"), &id,
				    why, sizeof(why)),
			 0);
	assert_int_equal(id, 12);
	assert_int_equal(rt_json_id(S(" {\"id\":7}\n"), &id, why, sizeof(why)), 0);
	assert_int_equal(id, 7);
	assert_int_equal(rt_json_id(S("<html><body>Welcome to nginx!</body></html>"), &id, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not JSON"));
	assert_int_equal(rt_json_id(S("{\"id\":\"12\""), &id, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "ends too soon"));
	assert_int_equal(rt_json_id(S("{\"id\":\"12\"} trailing"), &id, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "more after the value"));
	assert_int_equal(rt_json_id(S("{\"id\":\"12x\"}"), &id, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "without the id"));
	assert_int_equal(rt_json_id(S("{\"id\":-3}"), &id, why, sizeof(why)), -1);
	assert_int_equal(rt_json_id(S("{\"id\":[1]}"), &id, why, sizeof(why)), -1);
	assert_int_equal(rt_json_id(S("{\"id\":\"1234567890123456789\"}"), &id, why, sizeof(why)), -1);
	assert_int_equal(rt_json_id(S(""), &id, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "empty"));
	/* Deeper than RT ever nests: refused by the tokener, not walked. */
	assert_int_equal(rt_json_id(S("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"), &id, why,
				    sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "not JSON"));
}

static void test_txns_and_creator(void **state)
{
	struct rt_txn t[4];
	size_t n = 0;
	char why[160], name[RT_NAME_MAX];

	(void)state;
	assert_int_equal(rt_json_txns(S("{\"page\":1,\"per_page\":50,\"total\":2,\"items\":["
					"{\"type\":\"transaction\",\"id\":\"49\",\"Creator\":{\"type\":\"user\",\"id\":\"handoff\"},"
					"\"Type\":\"Comment\"},"
					"{\"id\":\"61\",\"Type\":\"Comment\",\"Creator\":{\"id\":\"carol\"}}]}"),
				      t, 4, &n, why, sizeof(why)),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].id, 49);
	assert_string_equal(t[0].creator, "handoff");
	assert_string_equal(t[1].type, "Comment");
	assert_string_equal(t[1].creator, "carol");
	/* At most max. */
	assert_int_equal(rt_json_txns(S("{\"items\":[{\"id\":\"1\",\"Type\":\"C\",\"Creator\":{\"id\":\"a\"}},"
					"{\"id\":\"2\",\"Type\":\"C\",\"Creator\":{\"id\":\"a\"}}]}"),
				      t, 1, &n, why, sizeof(why)),
			 0);
	assert_int_equal(n, 1);
	/* Out of order would move the mark past an unread comment. */
	assert_int_equal(rt_json_txns(S("{\"items\":[{\"id\":\"5\",\"Type\":\"C\",\"Creator\":{\"id\":\"a\"}},"
					"{\"id\":\"4\",\"Type\":\"C\",\"Creator\":{\"id\":\"a\"}}]}"),
				      t, 4, &n, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "out of order"));
	/* A creator that is not printable ASCII, or no items at all. */
	assert_int_equal(rt_json_txns(S("{\"items\":[{\"id\":\"5\",\"Type\":\"C\",\"Creator\":{\"id\":\"a\\u001b\"}}]}"), t,
				      4, &n, why, sizeof(why)),
			 -1);
	assert_int_equal(rt_json_txns(S("{\"message\":\"Unauthorized\"}"), t, 4, &n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "items"));
	assert_int_equal(rt_json_creator(S("{\"id\":1,\"Creator\":{\"id\":\"handoff\",\"type\":\"user\"}}"), name,
					 sizeof(name), why, sizeof(why)),
			 0);
	assert_string_equal(name, "handoff");
	assert_int_equal(rt_json_creator(S("{\"Creator\":\"handoff\"}"), name, sizeof(name), why, sizeof(why)), -1);
}

static void test_text(void **state)
{
	char text[32], why[160];
	int64_t id = -1;

	(void)state;
	/* The first text/plain part that is not a file; CRLF as LF; \u0000 ends it. */
	assert_int_equal(rt_json_text(S("{\"items\":[{\"ContentType\":\"multipart/mixed\",\"Filename\":\"\",\"Content\":\"\"},"
					"{\"ContentType\":\"text/plain\",\"Filename\":\"t.txt\",\"Content\":\"a file\"},"
					"{\"ContentType\":\"text/plain\",\"Filename\":\"\",\"Content\":\"call\\r\\nback \\u00e9\\u0000x\"}]}"),
				      text, sizeof(text), why, sizeof(why)),
			 0);
	assert_string_equal(text, "call\nback \xc3\xa9");
	/* json-c passes raw bytes through: a byte that is not UTF-8 becomes U+FFFD. */
	assert_int_equal(rt_json_text(S("{\"items\":[{\"ContentType\":\"text/plain\",\"Content\":\"a\xb3z\"}]}"), text,
				      sizeof(text), why, sizeof(why)),
			 0);
	assert_string_equal(text, "a\xef\xbf\xbdz");
	/* Cut at a character's end to fit. */
	assert_int_equal(rt_json_text(S("{\"items\":[{\"ContentType\":\"text/plain\",\"Content\":"
					"\"0123456789012345678901234567\\u00e9\\u00e9\"}]}"),
				      text, sizeof(text), why, sizeof(why)),
			 0);
	assert_int_equal(strlen(text), 30);
	/* None: "" and success. */
	assert_int_equal(rt_json_text(S("{\"items\":[]}"), text, sizeof(text), why, sizeof(why)), 0);
	assert_string_equal(text, "");
	assert_int_equal(rt_json_first(S("{\"items\":[],\"total\":0}"), &id, why, sizeof(why)), 0);
	assert_int_equal(id, 0);
	assert_int_equal(rt_json_first(S("{\"items\":[{\"id\":\"3\",\"type\":\"ticket\"}]}"), &id, why, sizeof(why)), 0);
	assert_int_equal(id, 3);
}

static void test_explain(void **state)
{
	char out[48];

	(void)state;
	rt_json_explain(S("{\"message\":\"Permission Denied\"}"), out, sizeof(out));
	assert_string_equal(out, "Permission Denied");
	rt_json_explain(S("[\"Queue 'X' not found\"]"), out, sizeof(out));
	assert_string_equal(out, "Queue 'X' not found");
	rt_json_explain(S("<html>\x1b[2J\n\xff</html>"), out, sizeof(out));
	assert_string_equal(out, "<html>?[2J ?</html>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_txns_and_creator),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests_name("rt_json", tests, NULL, NULL);
}
