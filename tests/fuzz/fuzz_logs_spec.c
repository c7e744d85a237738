/*
 * The list of log sources the relay sends with a log request, as the
 * customer's helper parses and describes it before asking the customer.
 * The relay is trusted, but the helper must hold against a hostile one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helper_logs_plan plan;
	char *spec = malloc(size + 1);
	char line[512];

	if (spec == NULL)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	helper_logs_parse(spec, &plan);
	for (size_t i = 0; i < helper_logs_items(&plan); i++) {
		helper_logs_describe(&plan, i, line, sizeof(line));
		for (const char *p = line; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				abort(); /* the description goes to the customer's terminal */
	}
	free(spec);
	return 0;
}
