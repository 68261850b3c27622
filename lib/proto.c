// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The USB/IP management protocol: pure encoders and decoders.  Every field
 * is placed by explicit offset in big-endian order; no struct is ever cast
 * over a buffer.
 */
#include <errno.h>
#include <string.h>

#include "libusbip-internal.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Copies a fixed-size wire string; the result is always NUL-terminated.
 * Returns -ENAMETOOLONG when the field held no NUL (the copy is cut).
 */
static int get_string(char *dst, const uint8_t *src, size_t size)
{
	memcpy(dst, src, size - 1);
	dst[size - 1] = '\0';
	return memchr(src, '\0', size) ? 0 : -ENAMETOOLONG;
}

/*
 * A received bus id field: copied like any string, then held to
 * usbip_busid_valid()'s rule, as it ends up in sysfs paths and logs.
 */
static int get_busid(char *dst, const uint8_t *src)
{
	get_string(dst, src, USBIP_BUSID_SIZE);
	return usbip_busid_valid((const char *)src, USBIP_BUSID_SIZE);
}

static void put_string(uint8_t *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memset(dst, 0, size);
	memcpy(dst, src, n);
}

USBIP_EXPORT void usbip_op_common_encode(uint8_t *buf, uint16_t code, uint32_t status)
{
	put16(buf, USBIP_PROTO_VERSION);
	put16(buf + 2, code);
	put32(buf + 4, status);
}

USBIP_EXPORT int usbip_op_common_decode(const uint8_t *buf, size_t len,
					uint16_t *code, uint32_t *status)
{
	if (len < USBIP_OP_COMMON_SIZE)
		return -EMSGSIZE;
	*code = get16(buf + 2);
	*status = get32(buf + 4);
	if (get16(buf) != USBIP_PROTO_VERSION)
		return -EPROTO;
	return 0;
}

/* The device count follows op_common in an OP_REP_DEVLIST. */
#define DEVLIST_NDEV	USBIP_OP_COMMON_SIZE

USBIP_EXPORT void usbip_devlist_header_encode(uint8_t *buf, uint32_t status, uint32_t ndev)
{
	usbip_op_common_encode(buf, USBIP_OP_REP_DEVLIST, status);
	put32(buf + DEVLIST_NDEV, ndev);
}

USBIP_EXPORT int usbip_devlist_header_decode(const uint8_t *buf, size_t len,
					     uint32_t *status, uint32_t *ndev)
{
	uint16_t code;
	int r;

	if (len < USBIP_DEVLIST_HDR_SIZE)
		return -EMSGSIZE;
	r = usbip_op_common_decode(buf, len, &code, status);
	*ndev = get32(buf + DEVLIST_NDEV);
	if (r < 0)
		return r;
	return code == USBIP_OP_REP_DEVLIST ? 0 : -EBADMSG;
}

/* Offsets inside the 312-byte usbip_usb_device record. */
enum {
	DEV_PATH = 0x000,
	DEV_BUSID = 0x100,
	DEV_BUSNUM = 0x120,
	DEV_DEVNUM = 0x124,
	DEV_SPEED = 0x128,
	DEV_VENDOR = 0x12c,
	DEV_PRODUCT = 0x12e,
	DEV_BCD = 0x130,
	DEV_CLASS = 0x132,
	DEV_SUBCLASS = 0x133,
	DEV_PROTOCOL = 0x134,
	DEV_CONFIG = 0x135,
	DEV_NUMCONFIGS = 0x136,
	DEV_NUMINTF = 0x137,
};

USBIP_EXPORT void usbip_device_encode(uint8_t *buf, const struct usbip_device *dev)
{
	put_string(buf + DEV_PATH, dev->path, USBIP_PATH_SIZE);
	put_string(buf + DEV_BUSID, dev->busid, USBIP_BUSID_SIZE);
	put32(buf + DEV_BUSNUM, dev->busnum);
	put32(buf + DEV_DEVNUM, dev->devnum);
	put32(buf + DEV_SPEED, dev->speed);
	put16(buf + DEV_VENDOR, dev->idVendor);
	put16(buf + DEV_PRODUCT, dev->idProduct);
	put16(buf + DEV_BCD, dev->bcdDevice);
	buf[DEV_CLASS] = dev->bDeviceClass;
	buf[DEV_SUBCLASS] = dev->bDeviceSubClass;
	buf[DEV_PROTOCOL] = dev->bDeviceProtocol;
	buf[DEV_CONFIG] = dev->bConfigurationValue;
	buf[DEV_NUMCONFIGS] = dev->bNumConfigurations;
	buf[DEV_NUMINTF] = dev->bNumInterfaces;
}

USBIP_EXPORT int usbip_device_decode(const uint8_t *buf, size_t len,
				     struct usbip_device *dev)
{
	int rpath, rbusid;

	if (len < USBIP_DEVICE_SIZE)
		return -EMSGSIZE;
	rpath = get_string(dev->path, buf + DEV_PATH, USBIP_PATH_SIZE);
	rbusid = get_busid(dev->busid, buf + DEV_BUSID);
	dev->busnum = get32(buf + DEV_BUSNUM);
	dev->devnum = get32(buf + DEV_DEVNUM);
	dev->speed = get32(buf + DEV_SPEED);
	dev->idVendor = get16(buf + DEV_VENDOR);
	dev->idProduct = get16(buf + DEV_PRODUCT);
	dev->bcdDevice = get16(buf + DEV_BCD);
	dev->bDeviceClass = buf[DEV_CLASS];
	dev->bDeviceSubClass = buf[DEV_SUBCLASS];
	dev->bDeviceProtocol = buf[DEV_PROTOCOL];
	dev->bConfigurationValue = buf[DEV_CONFIG];
	dev->bNumConfigurations = buf[DEV_NUMCONFIGS];
	dev->bNumInterfaces = buf[DEV_NUMINTF];
	/* An unterminated field first: it is the more basic breach. */
	return rpath < 0 ? rpath : rbusid;
}

USBIP_EXPORT void usbip_interface_encode(uint8_t *buf, const struct usbip_interface *intf)
{
	buf[0] = intf->bInterfaceClass;
	buf[1] = intf->bInterfaceSubClass;
	buf[2] = intf->bInterfaceProtocol;
	buf[3] = 0;
}

USBIP_EXPORT int usbip_interface_decode(const uint8_t *buf, size_t len,
					struct usbip_interface *intf)
{
	if (len < USBIP_INTERFACE_SIZE)
		return -EMSGSIZE;
	intf->bInterfaceClass = buf[0];
	intf->bInterfaceSubClass = buf[1];
	intf->bInterfaceProtocol = buf[2];
	return 0;
}

USBIP_EXPORT void usbip_import_request_encode(uint8_t *buf, const char *busid)
{
	usbip_op_common_encode(buf, USBIP_OP_REQ_IMPORT, 0);
	put_string(buf + USBIP_OP_COMMON_SIZE, busid, USBIP_BUSID_SIZE);
}

USBIP_EXPORT int usbip_import_request_decode(const uint8_t *buf, size_t len,
					     char busid[USBIP_BUSID_SIZE])
{
	uint16_t code;
	uint32_t status;
	int r, rbusid;

	if (len < USBIP_IMPORT_REQ_SIZE)
		return -EMSGSIZE;
	r = usbip_op_common_decode(buf, len, &code, &status);
	rbusid = get_busid(busid, buf + USBIP_OP_COMMON_SIZE);
	if (r < 0)
		return r;
	if (code != USBIP_OP_REQ_IMPORT)
		return -EBADMSG;
	return rbusid;
}

USBIP_EXPORT int usbip_busid_valid(const char *field, size_t size)
{
	size_t n = strnlen(field, size);

	if (n == size)
		return -ENAMETOOLONG;
	if (n == 0 || strcmp(field, ".") == 0 || strcmp(field, "..") == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (field[i] == '/' || field[i] <= ' ' || field[i] > '~')
			return -EINVAL;
	return 0;
}

USBIP_EXPORT const char *usbip_op_status_str(uint32_t status)
{
	static const char *const text[] = {
		[USBIP_ST_OK] = "Request Completed Successfully",
		[USBIP_ST_NA] = "Request Failed",
		[USBIP_ST_DEV_BUSY] = "Device busy (exported)",
		[USBIP_ST_DEV_ERR] = "Device in error state",
		[USBIP_ST_NODEV] = "Device not found",
		[USBIP_ST_ERROR] = "Unexpected response",
	};

	return status < ARRAY_SIZE(text) ? text[status] : "Unknown Op Common Status";
}

USBIP_EXPORT const char *usbip_speed_str(uint32_t speed)
{
	static const char *const text[] = {
		[USBIP_SPEED_UNKNOWN] = "Unknown Speed",
		[USBIP_SPEED_LOW] = "Low Speed(1.5Mbps)",
		[USBIP_SPEED_FULL] = "Full Speed(12Mbps)",
		[USBIP_SPEED_HIGH] = "High Speed(480Mbps)",
		[USBIP_SPEED_WIRELESS] = "Wireless",
		[USBIP_SPEED_SUPER] = "Super Speed(5000Mbps)",
		[USBIP_SPEED_SUPER_PLUS] = "Super Speed Plus(10000Mbps)",
	};

	return speed < ARRAY_SIZE(text) ? text[speed] : text[USBIP_SPEED_UNKNOWN];
}

USBIP_EXPORT enum usbip_speed usbip_speed_from_sysfs(const char *s)
{
	static const struct { const char *text; enum usbip_speed speed; } map[] = {
		{ "1.5", USBIP_SPEED_LOW }, { "12", USBIP_SPEED_FULL },
		{ "480", USBIP_SPEED_HIGH }, { "53.3-480", USBIP_SPEED_WIRELESS },
		{ "5000", USBIP_SPEED_SUPER }, { "10000", USBIP_SPEED_SUPER_PLUS },
		{ "20000", USBIP_SPEED_SUPER_PLUS },
	};

	for (size_t i = 0; s && i < ARRAY_SIZE(map); i++)
		if (strcmp(s, map[i].text) == 0)
			return map[i].speed;
	return USBIP_SPEED_UNKNOWN;
}

USBIP_EXPORT const char *usbip_dev_status_str(int status)
{
	static const char *const text[] = {
		[USBIP_SDEV_ST_AVAILABLE] = "Device Available",
		[USBIP_SDEV_ST_USED] = "Device in Use",
		[USBIP_SDEV_ST_ERROR] = "Device Error",
		[USBIP_VDEV_ST_NULL] = "Port Available",
		[USBIP_VDEV_ST_NOTASSIGNED] = "Port Initializing",
		[USBIP_VDEV_ST_USED] = "Port in Use",
		[USBIP_VDEV_ST_ERROR] = "Port Error",
	};

	if (status > 0 && (size_t)status < ARRAY_SIZE(text))
		return text[status];
	return "Unknown Status";
}
