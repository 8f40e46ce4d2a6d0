/** Administration of the target daemon: targets, logical units, ACLs. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.jtgt.api.target;
