package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LunAddressTest {
    @Test
    void peripheralBelow256FlatAbove() {
        assertEquals(0x0000_0000_0000_0000L, LunAddress.encode(0));
        assertEquals(0x00FF_0000_0000_0000L, LunAddress.encode(255));
        assertEquals(0x4100_0000_0000_0000L, LunAddress.encode(256));
        assertEquals(0x7FFF_0000_0000_0000L, LunAddress.encode(16383));
    }

    @Test
    void decodesBothMethodsAndRefusesTheRest() {
        for (int lun : new int[] {0, 1, 255, 256, 1000, 16383}) {
            assertEquals(lun, LunAddress.decode(LunAddress.encode(lun)));
        }
        assertEquals(5, LunAddress.decode(0x4005_0000_0000_0000L), "flat space addressing of a small LUN");
        assertEquals(LunAddress.UNADDRESSABLE, LunAddress.decode(0x0105_0000_0000_0000L), "bus 1");
        assertEquals(LunAddress.UNADDRESSABLE, LunAddress.decode(0x0001_0001_0000_0000L), "second level");
        assertEquals(LunAddress.UNADDRESSABLE, LunAddress.decode(0xC101_0000_0000_0000L), "well-known REPORT LUNS W-LUN");
    }
}
