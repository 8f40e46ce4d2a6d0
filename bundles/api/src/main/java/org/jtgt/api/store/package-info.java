/** Backing stores: the bytes behind logical units, provided by swappable bundles. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.10.0")
package org.jtgt.api.store;
