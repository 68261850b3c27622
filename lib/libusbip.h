/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libusbip: the USB/IP wire protocol and the kernel's usbip-host, usbip-vudc
 * and vhci_hcd sysfs interfaces.  libusbip(3) is the overview.
 *
 * Return values: a function that can fail returns 0 (or a count, a port
 * number, a file descriptor: never negative) on success and a negative code
 * on failure, never anything else.  A code is -errno, or one of the ranges
 * below (a server's status, a resolver failure); usbip_strerror() gives the
 * text of any of them.
 *
 * Diagnostics go through the context's log function; the library never
 * prints to stdout and never exits.
 *
 * Ownership: strings returned by getters are owned by the object they came
 * from.  Every allocation handed to the caller has its own free function
 * (usbip_devlist_free, usbip_local_list_free, usbip_exported_list_free,
 * usbip_vhci_close), which accepts what the function left on any return,
 * success or failure, and NULL.  Out-parameters are written on every return
 * unless said otherwise: on failure a list is NULL or empty (usbip_list_local
 * keeps the devices read before the failure), an object pointer is NULL, a
 * decoded record holds what was decoded.
 *
 * Threads: a context, and every object made from it (struct usbip_vhci), may
 * be used by one thread at a time only: its reference count, the usb.ids
 * tables it loads on first use and its libudev handle are not locked.
 * Separate contexts share no state and may be used in parallel.  Functions
 * that take no context (the encoders and decoders, usbip_busid_valid, the
 * usbip_*_str functions, usbip_speed_from_sysfs, usbip_vhci_parse_status,
 * usbip_record_parse, usbip_net_recv/send, usbip_now_ms,
 * usbip_backend_subsystems) keep no state and are reentrant.
 * usbip_strerror() is as thread-safe as the C library's strerror().  The log
 * function is called synchronously, in the thread that made the call.
 *
 * Structures: the public structs below (struct usbip_device with its 255
 * interfaces, usbip_local_device, usbip_exported, usbip_vhci_port,
 * usbip_record, usbip_devlist) are part of the ABI of version node
 * LIBUSBIP_1: callers allocate them (on the stack too), so their size and
 * layout never change within it.  Their fixed-size fields are the protocol's
 * own limits (a 256-byte path, a 32-byte bus id, at most 255 interfaces as
 * bNumInterfaces is one byte) or the system's (NI_MAXHOST), so no future
 * device needs a bigger struct; the price is about 1 KiB per usbip_device.
 * A layout change would take a new soname.
 */
#ifndef LIBUSBIP_H
#define LIBUSBIP_H

#include <stdarg.h>
#include <stdbool.h>
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
 * and of the directory holding the client's port records.  The setters
 * copy the string and return 0 or -ENOMEM.
 */
int usbip_set_usbids_path(struct usbip_ctx *ctx, const char *path);
int usbip_set_state_dir(struct usbip_ctx *ctx, const char *dir);
const char *usbip_get_state_dir(const struct usbip_ctx *ctx);

/* ----------------------------------------------------------------- errors */

/*
 * Negative codes besides -errno (errno values are all above -4096):
 *
 * A name resolution failure of usbip_net_connect(): the range
 * (USBIP_ERR_RESOLVE - 1000, USBIP_ERR_RESOLVE], holding a getaddrinfo()
 * code (EAI_*, negative in glibc).
 */
#define USBIP_ERR_RESOLVE		(-10000)
#define USBIP_ERR_FROM_RESOLVE(eai)	(USBIP_ERR_RESOLVE + (eai))
#define USBIP_ERR_IS_RESOLVE(err) \
	((err) <= USBIP_ERR_RESOLVE && (err) > USBIP_ERR_RESOLVE - 1000)
#define USBIP_ERR_TO_RESOLVE(err)	((err) - USBIP_ERR_RESOLVE)
/*
 * A server's non-zero op_common status (enum usbip_op_status, or any other
 * value a server sends): the range [USBIP_ERR_STATUS - USBIP_ERR_STATUS_MAX,
 * USBIP_ERR_STATUS].  Statuses from USBIP_ERR_STATUS_MAX up, which no
 * protocol version defines, all become USBIP_ERR_STATUS_MAX (text "Unknown
 * Op Common Status", like every undefined status).  USBIP_ERR_FROM_STATUS
 * evaluates its argument twice.
 */
#define USBIP_ERR_STATUS		(-20000)
#define USBIP_ERR_STATUS_MAX		999
#define USBIP_ERR_FROM_STATUS(st) \
	(USBIP_ERR_STATUS - (int)((st) < USBIP_ERR_STATUS_MAX ? (st) : USBIP_ERR_STATUS_MAX))
#define USBIP_ERR_IS_STATUS(err) \
	((err) <= USBIP_ERR_STATUS && (err) >= USBIP_ERR_STATUS - USBIP_ERR_STATUS_MAX)
#define USBIP_ERR_TO_STATUS(err)	((uint32_t)(USBIP_ERR_STATUS - (err)))

/*
 * Text for any negative code of this library: the status text of
 * usbip_op_status_str() for a server status, the resolver's text
 * (gai_strerror) for a resolution failure, strerror() for an errno.
 */
const char *usbip_strerror(int err);

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
 * Pure encoders and decoders: no I/O, no state, explicit big-endian.
 * Encoders write exactly the record's wire size.  Decoders return 0,
 * -EMSGSIZE when @len is too short (nothing is written then), or -EPROTO
 * for a wrong protocol version; otherwise they fill their output completely
 * before reporting any other error, so a caller can log what it received.
 * Decoded strings are always NUL-terminated: a string field that holds no
 * NUL (a string too long for it) is cut to fit and reported as
 * -ENAMETOOLONG.
 */
void usbip_op_common_encode(uint8_t *buf, uint16_t code, uint32_t status);
/* Fills @code and @status also when returning -EPROTO. */
int usbip_op_common_decode(const uint8_t *buf, size_t len, uint16_t *code,
			   uint32_t *status);
/*
 * The OP_REP_DEVLIST header (USBIP_DEVLIST_HDR_SIZE bytes): op_common and
 * the number of device records that follow.  The decoder returns -EBADMSG
 * when the code is not OP_REP_DEVLIST.  A reply whose status is not
 * USBIP_ST_OK may end after op_common: decode op_common first.
 */
void usbip_devlist_header_encode(uint8_t *buf, uint32_t status, uint32_t ndev);
int usbip_devlist_header_decode(const uint8_t *buf, size_t len, uint32_t *status,
				uint32_t *ndev);
/*
 * One usb_device record (USBIP_DEVICE_SIZE bytes), without its interfaces.
 * The decoder also returns -ENAMETOOLONG when the path or the bus id field
 * has no NUL, and -EINVAL when the bus id is not one (usbip_busid_valid()).
 */
void usbip_device_encode(uint8_t *buf, const struct usbip_device *dev);
int usbip_device_decode(const uint8_t *buf, size_t len, struct usbip_device *dev);
void usbip_interface_encode(uint8_t *buf, const struct usbip_interface *intf);
int usbip_interface_decode(const uint8_t *buf, size_t len,
			   struct usbip_interface *intf);
/*
 * OP_REQ_IMPORT (USBIP_IMPORT_REQ_SIZE bytes).  The decoder returns 0,
 * -EMSGSIZE, -EPROTO, -EBADMSG when the code is not OP_REQ_IMPORT, or, as
 * usbip_busid_valid() on the received field, -ENAMETOOLONG or -EINVAL.
 * @busid holds the (NUL-terminated) received bus id whenever @len suffices.
 */
void usbip_import_request_encode(uint8_t *buf, const char *busid);
int usbip_import_request_decode(const uint8_t *buf, size_t len,
				char busid[USBIP_BUSID_SIZE]);
/*
 * Checks a bus id field of @size bytes: NUL-terminated inside the field
 * (else -ENAMETOOLONG), non-empty, no '/', not "." or "..", printable ASCII
 * only (else -EINVAL).  Returns 0 for a bus id safe to use in a sysfs path.
 * The decoders apply it to the fields they receive.
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
 * resolution failure USBIP_ERR_FROM_RESOLVE(the getaddrinfo() code).
 */
int usbip_net_connect(struct usbip_ctx *ctx, const char *host,
		      const char *service, int timeout_ms);
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
 * (free with usbip_devlist_free), or a negative code: the server's non-zero
 * status as USBIP_ERR_FROM_STATUS(status) (USBIP_ST_ERROR for a reply to
 * another request), -EPROTO for another protocol version, -EBADMSG for a
 * malformed device record, -E2BIG for a device count above
 * USBIP_MAX_DEVLIST, -ETIMEDOUT, -ECONNRESET or another -errno of the
 * connection.  On failure @list is empty (ndev 0, devs NULL).
 */
#define USBIP_MAX_DEVLIST	4096
int usbip_request_devlist(struct usbip_ctx *ctx, int fd, int64_t deadline_ms,
			  struct usbip_devlist *list);
/* Frees the devices and leaves @list empty; an empty list is fine. */
void usbip_devlist_free(struct usbip_devlist *list);
/*
 * Sends OP_REQ_IMPORT for @busid and reads the reply.  Returns 0 with @dev
 * filled, or a negative code as for usbip_request_devlist; a reply for
 * another bus id gives -EBADMSG.  On failure @dev is all zero.
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
 * in udev enumeration order.  Returns 0 or -errno; -ENOENT when a device
 * lacks a required attribute.  Whatever the result, @out and @count are
 * set: an array of @count devices (on failure, those read before it) or
 * NULL; free it with usbip_local_list_free.
 */
int usbip_list_local(struct usbip_ctx *ctx, struct usbip_local_device **out,
		     size_t *count);
void usbip_local_list_free(struct usbip_local_device *list);

/* Which kernel driver exports devices: usbip-host (host mode, default) or
 * usbip-vudc (device mode, usbipd -e). */
enum usbip_backend {
	USBIP_BACKEND_HOST = 0,
	USBIP_BACKEND_VUDC = 1,
};

/*
 * The udev subsystems whose devices make up @backend's export list, as a
 * NULL-terminated array in static storage: usbip_list_exported() enumerates
 * them, and a uevent monitor that matches them sees every change to that
 * list.  NULL for an unknown backend.
 */
const char *const *usbip_backend_subsystems(enum usbip_backend backend);

struct usbip_exported {
	struct usbip_device dev;
	int status;			/* USBIP_SDEV_ST_* */
	char syspath[USBIP_PATH_SIZE];	/* where usbip_sockfd lives */
};

/*
 * Devices bound to the backend's driver.  Returns their count, or -errno
 * (-EINVAL for an unknown backend).  Whatever the result, @out is set: the
 * array, or NULL on failure; free it with usbip_exported_list_free.
 */
int usbip_list_exported(struct usbip_ctx *ctx, enum usbip_backend backend,
			struct usbip_exported **out);
void usbip_exported_list_free(struct usbip_exported *list);
/* Re-reads usbip_status of one exported device; returns the status or -errno. */
int usbip_exported_refresh_status(struct usbip_ctx *ctx, struct usbip_exported *e);
/*
 * Hands connected socket @sockfd to the kernel for device @e (writes
 * usbip_sockfd).  Returns 0, -EBUSY when the device is in use, -EIO when it
 * is in error state, -EBADMSG for an unknown state, or -errno.
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

/*
 * Local gadgets bound to usbip-vudc, for `usbip list -d`.  Returns their
 * count or -errno; @out as for usbip_list_exported (and freed the same way).
 */
int usbip_list_gadgets(struct usbip_ctx *ctx, struct usbip_exported **out);

/*
 * Loads kernel modules by name through libkmod when the driver is not
 * already present; logs which package ships a missing module.  Returns 0
 * or -errno (-ENOENT when the module cannot be found).
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
 * text yields no ports).  Calls @cb for each port line; the callback
 * returns 0 to go on or a negative code to stop, which is then returned.
 * Returns 0, -EBADMSG for a malformed line, or the callback's code.  (A
 * positive callback value also stops and is returned as it is: it is the
 * caller's own.)
 */
int usbip_vhci_parse_status(const char *text, size_t len,
			    int (*cb)(const struct usbip_vhci_port *p, void *data),
			    void *data);

/*
 * Finds vhci_hcd.0 (platform or faux bus, loading vhci-hcd if needed) and
 * reads its ports.  Returns 0 with *@vhci set (free with usbip_vhci_close),
 * or, with *@vhci NULL, -ENODEV when the driver is absent, -EBADMSG for a
 * malformed nports attribute or status file, or another -errno.  The object
 * holds a reference to @ctx.
 */
int usbip_vhci_open(struct usbip_ctx *ctx, struct usbip_vhci **vhci);
/* Frees @vhci; NULL is fine. */
void usbip_vhci_close(struct usbip_vhci *vhci);
/* Re-reads the ports; returns 0 or -errno (the port table is empty then). */
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
/*
 * Local udev USB device behind a used port: fills speed and ids and returns
 * 0, or -ENODEV with all three set to 0.
 */
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
/*
 * Parses "<host> <service> <busid>\n"; returns 0 or -EBADMSG (@rec all
 * zero then).
 */
int usbip_record_parse(const char *text, size_t len, struct usbip_record *rec);
/*
 * Writes/reads/removes <state dir>/port<N>.  Return 0 or -errno (-EBADMSG
 * for a malformed record); on a failed read @rec is all zero.
 */
int usbip_record_write(struct usbip_ctx *ctx, uint32_t port,
		       const struct usbip_record *rec);
int usbip_record_read(struct usbip_ctx *ctx, uint32_t port, struct usbip_record *rec);
int usbip_record_remove(struct usbip_ctx *ctx, uint32_t port);
/*
 * Other files of the state directory, written the same way (atomically, mode
 * 0644, never through a symbolic link, in a directory that must be ours):
 * @name is 1 to USBIP_STATE_NAME_MAX of [A-Za-z0-9._-], not starting with a
 * dot and not a port record's "port<N>" (else -EINVAL).  usbip_state_read
 * reads at most @size - 1 bytes, always NUL-terminates @buf (size > 0), and
 * returns the length read or -errno.  usbip_state_remove returns 0 also when
 * the file is absent, and removes the directory once empty.
 */
#define USBIP_STATE_NAME_MAX	64
int usbip_state_write(struct usbip_ctx *ctx, const char *name, const char *text,
		      size_t len);
int usbip_state_read(struct usbip_ctx *ctx, const char *name, char *buf, size_t size);
int usbip_state_remove(struct usbip_ctx *ctx, const char *name);

/* -------------------------------------------------------------- selectors */

#define USBIP_SERIAL_SIZE	256

/*
 * Names a device by what survives a replug to another port, where its bus
 * id changes: vendor:product (usbip -i/--hardware-id), serial number,
 * physical port (udev's ID_PATH), or the bus id itself.  Export rules and
 * the client's selectors are selectors.  A field left empty ("" or
 * has_ids false) matches any device; an all-empty selector matches all.
 */
struct usbip_selector {
	char busid[USBIP_BUSID_SIZE];
	bool has_ids;
	uint16_t vendor, product;
	char serial[USBIP_SERIAL_SIZE];
	char path[USBIP_PATH_SIZE];
};

/* What is known of a device.  NULL serial or path: not known (a server's
 * DEVLIST carries neither). */
struct usbip_device_ident {
	const char *busid;
	uint16_t vendor, product;
	const char *serial;
	const char *path;
};

enum usbip_match {
	USBIP_MATCH_NO = 0,
	USBIP_MATCH_YES = 1,
	/* Every field known matches; one the selector gives is not known. */
	USBIP_MATCH_UNKNOWN = 2,
};

/*
 * Parses "VID:PID", each 1 to 4 hex digits (the form of usbip list and
 * lsusb).  Returns 0, or -EINVAL leaving the outputs alone.
 */
int usbip_hardware_id_parse(const char *text, uint16_t *vendor, uint16_t *product);
/* Returns an enum usbip_match. */
int usbip_selector_match(const struct usbip_selector *sel,
			 const struct usbip_device_ident *id);
/* True when @sel names no field (it would match every device). */
bool usbip_selector_empty(const struct usbip_selector *sel);
/*
 * @sel as the options that give it ("-b 1-1", "-i 0781:5567 --serial X",
 * "--path pci-0000:00:14.0-usb-0:1"), for messages; always NUL-terminated.
 * The serial and path are copied as they are: a caller printing them to a
 * terminal escapes them first.  Returns @buf.
 */
const char *usbip_selector_str(const struct usbip_selector *sel, char *buf,
			       size_t size);
/*
 * The serial number (sysfs "serial"; "" when the device has none) and the
 * physical port (udev ID_PATH; "" when udev gave none) of local USB device
 * @busid.  Returns 0, -ENODEV, or -ENAMETOOLONG when one was cut to fit.
 */
int usbip_local_ident(struct usbip_ctx *ctx, const char *busid,
		      char serial[USBIP_SERIAL_SIZE], char path[USBIP_PATH_SIZE]);

/* ------------------------------------------------------------ export rules */

/* Bounds of an export rules file (usbip-export-rules(5)). */
#define USBIP_RULES_LINE_MAX	4096	/* bytes of one line, without its newline */
#define USBIP_RULES_MAX		1024	/* rules in one file */

/* Rules read from a file or text; opaque.  Each rule is a selector. */
struct usbip_rules;

/*
 * Parses the text of an export rules file (@len bytes; no NUL needed, and
 * one is an error).  Returns 0 with *@rules set (free with
 * usbip_rules_free), or, with *@rules NULL, -EBADMSG for a malformed file,
 * *@bad_line then the 1-based number of the first bad line and *@why what
 * is wrong with it (static text), or -ENOMEM.  @bad_line and @why may be
 * NULL.  A blank or comment-only text gives no rules.
 */
int usbip_rules_parse(const char *text, size_t len, struct usbip_rules **rules,
		      unsigned *bad_line, const char **why);
/*
 * Reads the rules file @path.  A missing file is no rules (0).  A broken
 * file is logged as "PATH:LINE: what" and returns -EBADMSG; -EFBIG above
 * 1 MiB, -EINVAL when not a regular file, or another -errno; *@rules is
 * NULL on every failure.
 */
int usbip_rules_load(struct usbip_ctx *ctx, const char *path, struct usbip_rules **rules);
/* Frees @rules; NULL is fine. */
void usbip_rules_free(struct usbip_rules *rules);
size_t usbip_rules_count(const struct usbip_rules *rules);
/* Rule @i (NULL past the end) and, if @line is not NULL, its line number. */
const struct usbip_selector *usbip_rules_get(const struct usbip_rules *rules, size_t i,
					     unsigned *line);
/*
 * The first rule that matches @id for sure (USBIP_MATCH_YES), with its line
 * number in *@line, or NULL.  *@match (if not NULL) is the enum usbip_match
 * of the result: USBIP_MATCH_UNKNOWN when none matched but one might once
 * a field of @id that is unknown (NULL) is known.
 */
const struct usbip_selector *usbip_rules_match(const struct usbip_rules *rules,
					       const struct usbip_device_ident *id,
					       unsigned *line, int *match);
/* Do @a and @b name the same fields with the same values? */
bool usbip_rules_equal(const struct usbip_selector *a, const struct usbip_selector *b);
/*
 * @sel as one line of the rules file, without a newline ("busid=1-1
 * hardware-id=0781:5567 serial=\"A B\""): values with a blank, a quote, a
 * backslash, a '#' or a control character are quoted and escaped, so the
 * line always parses back to @sel.  Returns the length, -EINVAL for an
 * empty selector or one the file cannot hold (an invalid bus id, a field
 * without its NUL), or -ENAMETOOLONG when @size is too small.
 */
int usbip_rule_format(const struct usbip_selector *sel, char *buf, size_t size);
/*
 * Appends @sel to the rules file @path (made, with its directory, when
 * missing), keeping every other line as it is.  The file is replaced
 * atomically (temporary file + rename) under a lock on its directory, so
 * concurrent callers lose no rule.  Returns 0, -EEXIST when an equal rule
 * is there, -EBADMSG when the file is broken (logged with its line: it is
 * not rewritten), -E2BIG when it holds USBIP_RULES_MAX rules, -EINVAL as
 * usbip_rule_format(), or another -errno.
 */
int usbip_rules_add(struct usbip_ctx *ctx, const char *path, const struct usbip_selector *sel);
/*
 * Removes every rule equal to @sel (usbip_rules_equal) from @path, keeping
 * the other lines.  Returns 0, -ENOENT when there is none (or no file),
 * -EBADMSG for a broken file, or another -errno.
 */
int usbip_rules_remove(struct usbip_ctx *ctx, const char *path,
		       const struct usbip_selector *sel);

#ifdef __cplusplus
}
#endif

#endif
