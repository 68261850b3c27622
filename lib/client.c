// SPDX-License-Identifier: LGPL-2.1-or-later
/* Client side of the management protocol: DEVLIST and IMPORT requests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libusbip-internal.h"

/*
 * Reads an op_common reply into @buf and checks its code and status.
 * Returns 0, the server's status as USBIP_ERR_FROM_STATUS() or -errno.
 */
static int recv_reply_header(struct usbip_ctx *ctx, int fd, uint16_t expect,
			     int64_t deadline_ms, uint8_t buf[USBIP_OP_COMMON_SIZE])
{
	uint16_t code;
	uint32_t status;
	int r;

	r = usbip_net_recv(fd, buf, USBIP_OP_COMMON_SIZE, deadline_ms);
	if (r < 0)
		return r;
	r = usbip_op_common_decode(buf, USBIP_OP_COMMON_SIZE, &code, &status);
	if (r < 0) {
		ERR(ctx, "reply has protocol version %#06x, expected %#06x",
		    (unsigned)(buf[0] << 8 | buf[1]), USBIP_PROTO_VERSION);
		return r;
	}
	if (code != expect) {
		ERR(ctx, "reply code %#06x does not answer request %#06x",
		    code, expect | USBIP_OP_REQUEST);
		return USBIP_ERR_FROM_STATUS(USBIP_ST_ERROR);
	}
	if (status != USBIP_ST_OK)
		return USBIP_ERR_FROM_STATUS(status);
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
	/* A real server always terminates both strings; refuse anything else. */
	if (usbip_device_decode(buf, sizeof(buf), dev) < 0) {
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
	if (!list)
		return;
	free(list->devs);
	list->devs = NULL;
	list->ndev = 0;
}

USBIP_EXPORT int usbip_request_devlist(struct usbip_ctx *ctx, int fd,
				       int64_t deadline_ms, struct usbip_devlist *list)
{
	uint8_t buf[USBIP_DEVLIST_HDR_SIZE];
	uint32_t status, ndev;
	size_t cap = 0;
	int r;

	list->ndev = 0;
	list->devs = NULL;
	usbip_op_common_encode(buf, USBIP_OP_REQ_DEVLIST, 0);
	r = usbip_net_send(fd, buf, USBIP_OP_COMMON_SIZE, deadline_ms);
	if (r < 0)
		return r;
	/* A failure reply ends after op_common: check it before reading on. */
	r = recv_reply_header(ctx, fd, USBIP_OP_REP_DEVLIST, deadline_ms, buf);
	if (r < 0)
		return r;
	r = usbip_net_recv(fd, buf + USBIP_OP_COMMON_SIZE,
			   USBIP_DEVLIST_HDR_SIZE - USBIP_OP_COMMON_SIZE, deadline_ms);
	if (r < 0)
		return r;
	r = usbip_devlist_header_decode(buf, sizeof(buf), &status, &ndev);
	if (r < 0)
		return r;
	if (ndev > USBIP_MAX_DEVLIST) {
		ERR(ctx, "server announces %u devices, more than the %u allowed",
		    ndev, USBIP_MAX_DEVLIST);
		return -E2BIG;
	}
	/* Grow as devices really arrive, so a lying count costs no memory. */
	for (uint32_t i = 0; i < ndev; i++) {
		r = ARRAY_RESERVE(list->devs, cap, list->ndev + 1);
		if (r < 0)
			goto fail;
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
	uint8_t req[USBIP_IMPORT_REQ_SIZE], hdr[USBIP_OP_COMMON_SIZE];
	int r;

	usbip_import_request_encode(req, busid);
	r = usbip_net_send(fd, req, sizeof(req), deadline_ms);
	if (r == 0)
		r = recv_reply_header(ctx, fd, USBIP_OP_REP_IMPORT, deadline_ms, hdr);
	if (r == 0)
		r = recv_device(ctx, fd, deadline_ms, dev, false);
	if (r == 0 && strncmp(dev->busid, busid, USBIP_BUSID_SIZE - 1) != 0) {
		ERR(ctx, "recv different busid %s", dev->busid);
		r = -EBADMSG;
	}
	if (r < 0)
		memset(dev, 0, sizeof(*dev));
	return r;
}
