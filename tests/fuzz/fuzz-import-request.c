// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is what a client sends to usbipd: op_common and, for IMPORT, a
 * 32-byte bus id field.  The decoders must stay inside the input, and the bus
 * id check (in the decoder and on its own) must only accept what is safe to
 * use in a sysfs path.
 */
#include "fuzz-common.h"

/* The rule usbip_busid_valid() documents, written out independently. */
static int busid_ok(const char *field, size_t size)
{
	size_t n = 0;

	while (n < size && field[n])
		n++;
	if (n == size || n == 0)
		return 0;
	if ((n == 1 && field[0] == '.') || (n == 2 && field[0] == '.' && field[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (field[i] == '/' || (unsigned char)field[i] <= ' ' ||
		    (unsigned char)field[i] > '~')
			return 0;
	return 1;
}

static void check_busid(const char *field, size_t size)
{
	int r = usbip_busid_valid(field, size);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
	FUZZ_CHECK((r == 0) == busid_ok(field, size));
	FUZZ_CHECK((r == -ENAMETOOLONG) == (memchr(field, '\0', size) == NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char busid[USBIP_BUSID_SIZE], again[USBIP_BUSID_SIZE];
	uint8_t buf[USBIP_IMPORT_REQ_SIZE];
	uint16_t code;
	uint32_t status;
	int r;

	r = usbip_op_common_decode(data, size, &code, &status);
	FUZZ_CHECK(r == 0 || r == -EMSGSIZE || r == -EPROTO);
	FUZZ_CHECK((r == -EMSGSIZE) == (size < USBIP_OP_COMMON_SIZE));
	if (r == 0)
		FUZZ_CHECK(data[0] == 0x01 && data[1] == 0x11);
	if (r != -EMSGSIZE) {
		FUZZ_CHECK(code == (data[2] << 8 | data[3]));
		usbip_op_status_str(status);
	}

	memset(busid, 0x5a, sizeof(busid));
	r = usbip_import_request_decode(data, size, busid);
	FUZZ_CHECK(r == 0 || r == -EMSGSIZE || r == -EPROTO || r == -EBADMSG ||
		   r == -EINVAL || r == -ENAMETOOLONG);
	FUZZ_CHECK((r == -EMSGSIZE) == (size < USBIP_IMPORT_REQ_SIZE));
	if (r != -EMSGSIZE) {
		int header_ok = data[0] == 0x01 && data[1] == 0x11 &&
				data[2] == 0x80 && data[3] == 0x03;

		/* The bus id is handed back terminated, whatever the verdict, */
		FUZZ_CHECK(fuzz_terminated(busid, sizeof(busid)));
		FUZZ_CHECK(strncmp(busid, (const char *)data + USBIP_OP_COMMON_SIZE,
				   strlen(busid)) == 0);
		/* and accepted exactly when the header is right and the raw field
		 * passes the rule written out above. */
		FUZZ_CHECK((r == 0) == (header_ok &&
			   busid_ok((const char *)data + USBIP_OP_COMMON_SIZE, USBIP_BUSID_SIZE)));
		if (header_ok && r != 0)
			FUZZ_CHECK(r == usbip_busid_valid((const char *)data + USBIP_OP_COMMON_SIZE,
							  USBIP_BUSID_SIZE));
	}
	if (r == 0) {
		check_busid(busid, sizeof(busid));
		/* What the server would log and look up round-trips. */
		usbip_import_request_encode(buf, busid);
		FUZZ_CHECK(usbip_import_request_decode(buf, sizeof(buf), again) == 0);
		FUZZ_CHECK(strcmp(busid, again) == 0);
	}

	/* The raw field as received, before any forced termination. */
	if (size >= USBIP_IMPORT_REQ_SIZE) {
		memcpy(busid, data + USBIP_OP_COMMON_SIZE, USBIP_BUSID_SIZE);
		check_busid(busid, sizeof(busid));
	}
	/* Shorter fields, so the size bound is exercised too (exact heap size). */
	if (size > 0 && size <= 64) {
		char *field = malloc(size);

		FUZZ_CHECK(field != NULL);
		memcpy(field, data, size);
		check_busid(field, size);
		free(field);
	}
	return 0;
}
