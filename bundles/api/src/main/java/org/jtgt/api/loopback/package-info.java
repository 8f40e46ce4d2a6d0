/** The loopback low-level driver's Java initiator API. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jtgt.api.loopback;
