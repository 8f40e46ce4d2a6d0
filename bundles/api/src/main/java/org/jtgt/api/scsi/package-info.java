/** SCSI constants shared by drivers and the daemon: status codes, sense keys, sense parsing. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jtgt.api.scsi;
