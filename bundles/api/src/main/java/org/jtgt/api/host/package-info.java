/**
 * The host side's API for low-level drivers: SCSI hosts, their ordered queues, pooled command
 * slots and completions; the choice of the active transport and its hot swap.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.1.0")
package org.jtgt.api.host;
