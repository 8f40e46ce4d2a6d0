package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IscsiNamesTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "iqn.2026-11.org.jtgt:default", "iqn.2001-04.com.example", "iqn.2001-04.com.example:storage:diskarrays-sn-a8675309",
        "iqn.1992-01.com.example:storage.tape1.sys1.xyz", "eui.02004567a425678d", "naa.52004567ba64678d",
        "naa.52004567ba64678d52004567ba64678d", "iqn.2026-11.org.jtgt:disque-été"})
    void accepts(String name) {
        assertNull(IscsiNames.check(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "target1", "IQN.2001-04.com.example", "iqn.2001-04.com.Example", "iqn.2001-04.com.example:Disk",
        "iqn.2001-4.com.example", "iqn.2001-13.com.example", "iqn.20x1-04.com.example", "iqn.2001-04.",
        "iqn.2001-04.com..example", "iqn.2001-04.com.example:", "iqn.2001-04.com.example:a b",
        "iqn.2001-04.com.ex_ample", "iqn.2001-04.com.example:a/b", "eui.02004567a425678", "eui.02004567A425678D",
        "eui.02004567a425678g", "naa.1234", "iqn.2001-04.com.example:\ttab"})
    void refusesWithAMessage(String name) {
        String problem = IscsiNames.check(name);
        assertNotNull(problem, name);
        assertTrue(problem.length() > 10, problem);
    }

    @org.junit.jupiter.api.Test
    void refusesOverlongNamesAndSuggestsLowerCase() {
        assertNotNull(IscsiNames.check("iqn.2001-04.com.example:" + "a".repeat(200)));
        assertTrue(IscsiNames.check("eui.02004567A425678D").contains("eui.02004567a425678d"));
    }
}
