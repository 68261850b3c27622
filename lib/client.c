// SPDX-License-Identifier: LGPL-2.1-or-later
/* Client side of the management protocol: DEVLIST and IMPORT requests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libusbip-internal.h"

/* Reads an op_common reply and checks its code; returns status or -errno. */
static int recv_reply_header(struct usbip_ctx *ctx, int fd, uint16_t expect,
			     int64_t deadline_ms)
{
	uint8_t buf[USBIP_OP_COMMON_SIZE];
	uint16_t code;
	uint32_t status;
	int r;

	r = usbip_net_recv(fd, buf, sizeof(buf), deadline_ms);
	if (r < 0)
		return r;
	r = usbip_op_common_decode(buf, sizeof(buf), &code, &status);
	if (r < 0) {
		ERR(ctx, "reply has protocol version %#06x, expected %#06x",
		    (unsigned)(buf[0] << 8 | buf[1]), USBIP_PROTO_VERSION);
		return r;
	}
	if (code != expect) {
		ERR(ctx, "reply code %#06x does not answer request %#06x",
		    code, expect | USBIP_OP_REQUEST);
		return USBIP_ST_ERROR;
	}
	if (status != USBIP_ST_OK)
		return status > INT32_MAX ? USBIP_ST_ERROR + 1 : (int)status;
	return 0;
}

static int recv_device(struct usbip_ctx *ctx, int fd, int64_t deadline_ms,
		       struct usbip_device *dev, bool with_interfaces)
{
	uint8_t buf[USBIP_DEVICE_SIZE];
	int r;

	r = usbip_net_recv(fd, buf, sizeof(buf), deadline_ms);
	if (r < 0)
		return r;
	usbip_device_decode(buf, sizeof(buf), dev);
	/* A real server always terminates both strings; refuse anything else. */
	if (!memchr(buf, '\0', USBIP_PATH_SIZE) ||
	    usbip_busid_valid((const char *)buf + USBIP_PATH_SIZE, USBIP_BUSID_SIZE) < 0) {
		ERR(ctx, "server sent a device record with an invalid path or bus id");
		return -EBADMSG;
	}
	if (!with_interfaces)
		return 0;
	for (unsigned i = 0; i < dev->bNumInterfaces; i++) {
		r = usbip_net_recv(fd, buf, USBIP_INTERFACE_SIZE, deadline_ms);
		if (r < 0)
			return r;
		usbip_interface_decode(buf, USBIP_INTERFACE_SIZE, &dev->interfaces[i]);
	}
	return 0;
}

USBIP_EXPORT void usbip_devlist_free(struct usbip_devlist *list)
{
	free(list->devs);
	list->devs = NULL;
	list->ndev = 0;
}

USBIP_EXPORT int usbip_request_devlist(struct usbip_ctx *ctx, int fd,
				       int64_t deadline_ms, struct usbip_devlist *list)
{
	uint8_t buf[USBIP_OP_COMMON_SIZE];
	uint32_t ndev;
	int r;

	list->ndev = 0;
	list->devs = NULL;
	usbip_op_common_encode(buf, USBIP_OP_REQ_DEVLIST, 0);
	r = usbip_net_send(fd, buf, sizeof(buf), deadline_ms);
	if (r < 0)
		return r;
	r = recv_reply_header(ctx, fd, USBIP_OP_REP_DEVLIST, deadline_ms);
	if (r != 0)
		return r;
	r = usbip_net_recv(fd, buf, 4, deadline_ms);
	if (r < 0)
		return r;
	ndev = (uint32_t)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3];
	if (ndev > USBIP_MAX_DEVLIST) {
		ERR(ctx, "server announces %u devices, more than the %u allowed",
		    ndev, USBIP_MAX_DEVLIST);
		return -E2BIG;
	}
	/* Grow as devices really arrive, so a lying count costs no memory. */
	for (uint32_t i = 0; i < ndev; i++) {
		struct usbip_device *devs;

		if ((i & (i - 1)) == 0) {
			devs = realloc(list->devs, sizeof(*devs) * (i ? 2 * i : 1));
			if (!devs) {
				r = -ENOMEM;
				goto fail;
			}
			list->devs = devs;
		}
		r = recv_device(ctx, fd, deadline_ms, &list->devs[i], true);
		if (r < 0)
			goto fail;
		list->ndev++;
	}
	return 0;
fail:
	usbip_devlist_free(list);
	return r;
}

USBIP_EXPORT int usbip_request_import(struct usbip_ctx *ctx, int fd, const char *busid,
				      int64_t deadline_ms, struct usbip_device *dev)
{
	uint8_t req[USBIP_IMPORT_REQ_SIZE];
	int r;

	usbip_import_request_encode(req, busid);
	r = usbip_net_send(fd, req, sizeof(req), deadline_ms);
	if (r < 0)
		return r;
	r = recv_reply_header(ctx, fd, USBIP_OP_REP_IMPORT, deadline_ms);
	if (r != 0)
		return r;
	r = recv_device(ctx, fd, deadline_ms, dev, false);
	if (r < 0)
		return r;
	if (strncmp(dev->busid, busid, USBIP_BUSID_SIZE - 1) != 0) {
		ERR(ctx, "recv different busid %s", dev->busid);
		return -EBADMSG;
	}
	return 0;
}
