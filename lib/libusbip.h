/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libusbip: the USB/IP wire protocol and the kernel's usbip-host, usbip-vudc
 * and vhci_hcd sysfs interfaces.
 *
 * Conventions: functions that can fail return 0 (or a count) on success and a
 * negative errno on failure; they never print to stdout and never exit.
 * Diagnostics go through the context's log function.  Strings returned by
 * getters are owned by the object they came from.
 */
#ifndef LIBUSBIP_H
#define LIBUSBIP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- context */

struct usbip_ctx;

/*
 * usbip_new: create a library context.  The log priority starts at LOG_ERR
 * (syslog numbering); the USBIP_LOG environment variable ("err", "info",
 * "debug" or a number) overrides it.  Returns NULL when out of memory.
 */
struct usbip_ctx *usbip_new(void);
struct usbip_ctx *usbip_ref(struct usbip_ctx *ctx);
/* Returns NULL once the last reference is gone. */
struct usbip_ctx *usbip_unref(struct usbip_ctx *ctx);

typedef void (*usbip_log_fn)(struct usbip_ctx *ctx, int priority,
			     const char *file, int line, const char *fn,
			     const char *format, va_list args)
	__attribute__((format(printf, 6, 0)));
void usbip_set_log_fn(struct usbip_ctx *ctx, usbip_log_fn fn);
void usbip_set_log_priority(struct usbip_ctx *ctx, int priority);
int usbip_get_log_priority(const struct usbip_ctx *ctx);
void usbip_set_userdata(struct usbip_ctx *ctx, void *data);
void *usbip_get_userdata(const struct usbip_ctx *ctx);

/*
 * Path of the usb.ids name database (default: the one found at build time)
 * and of the directory holding the client's port records.
 */
int usbip_set_usbids_path(struct usbip_ctx *ctx, const char *path);
int usbip_set_state_dir(struct usbip_ctx *ctx, const char *dir);
const char *usbip_get_state_dir(const struct usbip_ctx *ctx);

/* --------------------------------------------------------------- protocol */

#define USBIP_PROTO_VERSION	0x0111
#define USBIP_DEFAULT_PORT	3240
#define USBIP_DEFAULT_PORT_STR	"3240"

#define USBIP_OP_REQUEST	0x8000
#define USBIP_OP_IMPORT		0x0003
#define USBIP_OP_DEVLIST	0x0005
#define USBIP_OP_REQ_IMPORT	(USBIP_OP_REQUEST | USBIP_OP_IMPORT)
#define USBIP_OP_REP_IMPORT	USBIP_OP_IMPORT
#define USBIP_OP_REQ_DEVLIST	(USBIP_OP_REQUEST | USBIP_OP_DEVLIST)
#define USBIP_OP_REP_DEVLIST	USBIP_OP_DEVLIST

/* Status codes carried in op_common replies. */
enum usbip_op_status {
	USBIP_ST_OK = 0,
	USBIP_ST_NA = 1,
	USBIP_ST_DEV_BUSY = 2,
	USBIP_ST_DEV_ERR = 3,
	USBIP_ST_NODEV = 4,
	USBIP_ST_ERROR = 5,	/* client-local: unexpected reply */
};

/* Exact wire sizes. */
#define USBIP_OP_COMMON_SIZE	8
#define USBIP_DEVICE_SIZE	312
#define USBIP_INTERFACE_SIZE	4
#define USBIP_DEVLIST_HDR_SIZE	12	/* op_common + ndev */
#define USBIP_IMPORT_REQ_SIZE	40
#define USBIP_IMPORT_REP_SIZE	320
#define USBIP_BUSID_SIZE	32
#define USBIP_PATH_SIZE		256
#define USBIP_MAX_INTERFACES	255

/* enum usb_device_speed from linux/usb/ch9.h */
enum usbip_speed {
	USBIP_SPEED_UNKNOWN = 0,
	USBIP_SPEED_LOW = 1,
	USBIP_SPEED_FULL = 2,
	USBIP_SPEED_HIGH = 3,
	USBIP_SPEED_WIRELESS = 4,
	USBIP_SPEED_SUPER = 5,
	USBIP_SPEED_SUPER_PLUS = 6,
};

/* Decoded forms; strings are always NUL-terminated. */
struct usbip_interface {
	uint8_t bInterfaceClass;
	uint8_t bInterfaceSubClass;
	uint8_t bInterfaceProtocol;
};

struct usbip_device {
	char path[USBIP_PATH_SIZE];
	char busid[USBIP_BUSID_SIZE];
	uint32_t busnum;
	uint32_t devnum;
	uint32_t speed;
	uint16_t idVendor;
	uint16_t idProduct;
	uint16_t bcdDevice;
	uint8_t bDeviceClass;
	uint8_t bDeviceSubClass;
	uint8_t bDeviceProtocol;
	uint8_t bConfigurationValue;
	uint8_t bNumConfigurations;
	uint8_t bNumInterfaces;
	struct usbip_interface interfaces[USBIP_MAX_INTERFACES];
};

/*
 * Pure encoders/decoders: no I/O, explicit big-endian.  Decoders return 0,
 * -EMSGSIZE when @len is too short, -EPROTO for a wrong protocol version.
 * Decoded strings are forced to NUL termination; a string that fills its
 * whole field is reported as -ENAMETOOLONG by usbip_busid_valid().
 */
void usbip_op_common_encode(uint8_t *buf, uint16_t code, uint32_t status);
int usbip_op_common_decode(const uint8_t *buf, size_t len, uint16_t *code,
			   uint32_t *status);
/* Encodes the device record only (312 bytes), not its interfaces. */
void usbip_device_encode(uint8_t *buf, const struct usbip_device *dev);
int usbip_device_decode(const uint8_t *buf, size_t len, struct usbip_device *dev);
void usbip_interface_encode(uint8_t *buf, const struct usbip_interface *intf);
int usbip_interface_decode(const uint8_t *buf, size_t len,
			   struct usbip_interface *intf);
void usbip_import_request_encode(uint8_t *buf, const char *busid);
/* Returns 0, -EMSGSIZE, -EPROTO, or -EBADMSG when the code is not REQ_IMPORT. */
int usbip_import_request_decode(const uint8_t *buf, size_t len,
				char busid[USBIP_BUSID_SIZE]);
/*
 * Checks a bus id received from the network: NUL-terminated inside its
 * 32-byte field, non-empty, no '/', not "." or "..", printable ASCII only.
 * Returns 0 or -EINVAL / -ENAMETOOLONG.
 */
int usbip_busid_valid(const char *field, size_t size);
/* Status text as the kernel's tools print it ("Device not found", ...). */
const char *usbip_op_status_str(uint32_t status);
/* "High Speed(480Mbps)" etc. */
const char *usbip_speed_str(uint32_t speed);
/* Speed enum from the sysfs "speed" attribute ("480", "5000", ...). */
enum usbip_speed usbip_speed_from_sysfs(const char *s);

/* ---------------------------------------------------------------- network */

/*
 * Connect to host:service (IPv4 or IPv6, each address in turn) with
 * TCP_NODELAY and SO_KEEPALIVE set and @timeout_ms per address.
 * Returns a socket fd, -errno of the last address tried, or for a name
 * resolution failure USBIP_ERR_RESOLVE + the getaddrinfo() code.
 */
int usbip_net_connect(struct usbip_ctx *ctx, const char *host,
		      const char *service, int timeout_ms);
/*
 * Text for a negative error code of this library: strerror() for errnos,
 * the resolver's text for name resolution failures of usbip_net_connect()
 * (codes at or below USBIP_ERR_RESOLVE).
 */
#define USBIP_ERR_RESOLVE	(-10000)
const char *usbip_strerror(int err);
/*
 * Read or write exactly @len bytes before @deadline_ms (CLOCK_MONOTONIC
 * milliseconds, see usbip_now_ms()).  Returns 0, -ETIMEDOUT,
 * -ECONNRESET (peer closed early) or -errno.
 */
int usbip_net_recv(int fd, void *buf, size_t len, int64_t deadline_ms);
int usbip_net_send(int fd, const void *buf, size_t len, int64_t deadline_ms);
int64_t usbip_now_ms(void);

/* Client requests.  Each reads the whole reply before @deadline_ms. */
struct usbip_devlist {
	size_t ndev;
	struct usbip_device *devs;
};
/*
 * Sends OP_REQ_DEVLIST and reads the reply.  Returns 0 and fills @list
 * (free with usbip_devlist_free), the server's non-zero status as a positive
 * number (USBIP_ST_* or an unknown value; USBIP_ST_ERROR for a reply to
 * another request), or -errno (-EPROTO/-EBADMSG for a malformed reply, -E2BIG for a
 * device count above USBIP_MAX_DEVLIST).
 */
#define USBIP_MAX_DEVLIST	4096
int usbip_request_devlist(struct usbip_ctx *ctx, int fd, int64_t deadline_ms,
			  struct usbip_devlist *list);
void usbip_devlist_free(struct usbip_devlist *list);
/*
 * Sends OP_REQ_IMPORT for @busid and reads the reply.  Returns 0 with @dev
 * filled, the server's non-zero status as a positive number (as for
 * usbip_request_devlist), or -errno.  A reply for another bus
 * id gives -EBADMSG.
 */
int usbip_request_import(struct usbip_ctx *ctx, int fd, const char *busid,
			 int64_t deadline_ms, struct usbip_device *dev);

/* ----------------------------------------------------------- usb devices */

/* Status values of usbip_status / vhci ports (uapi linux/usbip.h). */
enum usbip_dev_status {
	USBIP_SDEV_ST_AVAILABLE = 1,
	USBIP_SDEV_ST_USED = 2,
	USBIP_SDEV_ST_ERROR = 3,
	USBIP_VDEV_ST_NULL = 4,
	USBIP_VDEV_ST_NOTASSIGNED = 5,
	USBIP_VDEV_ST_USED = 6,
	USBIP_VDEV_ST_ERROR = 7,
};
const char *usbip_dev_status_str(int status);

/* A local USB device as `usbip list -l` shows it. */
struct usbip_local_device {
	char busid[USBIP_BUSID_SIZE];
	char idVendor[5];	/* raw sysfs text, at most 4 chars */
	char idProduct[5];
	char driver[64];	/* "" when none */
};

/*
 * Local USB devices that are not hubs and not imported through vhci_hcd,
 * in udev enumeration order, as a malloc'ed array in @out (free it whatever
 * the result) of @count entries.  Returns 0 or -errno; -ENOENT when a device
 * lacks a required attribute, with the devices before it in @out.
 */
int usbip_list_local(struct usbip_ctx *ctx, struct usbip_local_device **out,
		     size_t *count);

/* Which kernel driver exports devices: usbip-host (host mode, default) or
 * usbip-vudc (device mode, usbipd -e). */
enum usbip_backend {
	USBIP_BACKEND_HOST = 0,
	USBIP_BACKEND_VUDC = 1,
};

struct usbip_exported {
	struct usbip_device dev;
	int status;			/* USBIP_SDEV_ST_* */
	char syspath[USBIP_PATH_SIZE];	/* where usbip_sockfd lives */
};

/*
 * Devices bound to the backend's driver.  Returns the count and a malloc'ed
 * array in @out, or -errno.
 */
int usbip_list_exported(struct usbip_ctx *ctx, enum usbip_backend backend,
			struct usbip_exported **out);
/* Re-reads usbip_status of one exported device; returns the status or -errno. */
int usbip_exported_refresh_status(struct usbip_ctx *ctx, struct usbip_exported *e);
/*
 * Hands connected socket @sockfd to the kernel for device @e (writes
 * usbip_sockfd).  Returns 0, -EBUSY when the device is in use, -EIO when it
 * is in error state, or -errno from the write.
 */
int usbip_export(struct usbip_ctx *ctx, struct usbip_exported *e, int sockfd);

/*
 * Binds @busid to usbip-host (loading the module if needed).  Returns 0,
 * -ENODEV (no such device), -EINVAL (@busid names an interface),
 * -ELOOP (device is attached through vhci_hcd),
 * -EISDIR (device is a hub), -EALREADY (already bound), -ENOENT (module
 * missing) or -errno from sysfs.
 */
int usbip_bind(struct usbip_ctx *ctx, const char *busid);
/* Returns 0, -ENODEV, -EINVAL (not bound to usbip-host) or -errno. */
int usbip_unbind(struct usbip_ctx *ctx, const char *busid);

/* Local vudc gadgets for `usbip list -d`. */
int usbip_list_gadgets(struct usbip_ctx *ctx, struct usbip_exported **out);

/*
 * Loads kernel modules by name through libkmod when the driver is not
 * already present; logs which package ships a missing module.
 */
int usbip_load_module(struct usbip_ctx *ctx, const char *name);

/* ------------------------------------------------------------------- names */

/*
 * "<vendor> : <product> (vvvv:pppp)" and "<class> / <subclass> / <protocol>
 * (cc/ss/pp)" as the kernel's tools print them, from usb.ids (read lazily
 * once) or, when it is missing, from the udev hwdb.  Return @buf.
 */
const char *usbip_names_product(struct usbip_ctx *ctx, char *buf, size_t size,
				uint16_t vendor, uint16_t product);
const char *usbip_names_class(struct usbip_ctx *ctx, char *buf, size_t size,
			      uint8_t cls, uint8_t subcls, uint8_t proto);

/* -------------------------------------------------------------------- vhci */

struct usbip_vhci;

struct usbip_vhci_port {
	uint32_t port;		/* global port number */
	int hub;		/* USBIP_HUB_HS or USBIP_HUB_SS */
	int status;		/* USBIP_VDEV_ST_* */
	uint32_t speed;
	uint32_t devid;
	uint64_t sockfd;
	char local_busid[USBIP_BUSID_SIZE];
};
#define USBIP_HUB_HS 0
#define USBIP_HUB_SS 1

/*
 * Parses the text of one vhci status file (any historical format; an empty
 * text yields no ports).  Calls @cb for each port line; stops and returns
 * its value if it returns non-zero.  Returns 0, -EBADMSG for a malformed
 * line, or the callback's value.
 */
int usbip_vhci_parse_status(const char *text, size_t len,
			    int (*cb)(const struct usbip_vhci_port *p, void *data),
			    void *data);

/*
 * Finds vhci_hcd.0 (platform or faux bus, loading vhci-hcd if needed) and
 * reads its ports.  Returns 0 or -ENODEV when the driver is absent.
 */
int usbip_vhci_open(struct usbip_ctx *ctx, struct usbip_vhci **vhci);
void usbip_vhci_close(struct usbip_vhci *vhci);
int usbip_vhci_refresh(struct usbip_vhci *vhci);
size_t usbip_vhci_nports(const struct usbip_vhci *vhci);
/* Port table in port order; valid until the next refresh or close. */
const struct usbip_vhci_port *usbip_vhci_ports(const struct usbip_vhci *vhci,
					       size_t *count);
/*
 * Attaches connected socket @sockfd as a device of @speed and @devid on the
 * first free port of the right hub; on EBUSY it re-reads the ports and tries
 * the next one.  Returns the port number or -errno (-EBUSY when every port
 * is taken, -EINVAL for an unsupported speed).
 */
int usbip_vhci_attach(struct usbip_vhci *vhci, int sockfd, uint32_t devid,
		      uint32_t speed);
/* Returns 0, -EINVAL (port not attached), -ERANGE (no such port) or -errno. */
int usbip_vhci_detach(struct usbip_vhci *vhci, uint32_t port);
/* Local udev USB device behind a used port: speed and ids, or -ENODEV. */
int usbip_vhci_port_device(struct usbip_vhci *vhci, const struct usbip_vhci_port *p,
			   uint32_t *speed, uint16_t *vendor, uint16_t *product);

/* ------------------------------------------------------------ port records */

#define USBIP_RECORD_HOST_MAX	1025	/* NI_MAXHOST */
#define USBIP_RECORD_SERV_MAX	32	/* NI_MAXSERV */
struct usbip_record {
	char host[USBIP_RECORD_HOST_MAX];
	char service[USBIP_RECORD_SERV_MAX];
	char busid[USBIP_BUSID_SIZE];
};
/* Parses "<host> <service> <busid>\n"; returns 0 or -EBADMSG. */
int usbip_record_parse(const char *text, size_t len, struct usbip_record *rec);
/* Writes/reads/removes <state dir>/port<N>.  Return 0 or -errno. */
int usbip_record_write(struct usbip_ctx *ctx, uint32_t port,
		       const struct usbip_record *rec);
int usbip_record_read(struct usbip_ctx *ctx, uint32_t port, struct usbip_record *rec);
int usbip_record_remove(struct usbip_ctx *ctx, uint32_t port);

#ifdef __cplusplus
}
#endif

#endif
