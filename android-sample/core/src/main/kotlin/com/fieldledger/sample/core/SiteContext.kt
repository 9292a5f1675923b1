package com.fieldledger.sample.core

import java.time.Clock
import java.time.LocalDate
import java.time.ZoneId
import uniffi.mobile_core.RecordPlace

/** The project and site this phone records for. Dates are on the site's calendar, not the phone's. */
data class SiteContext(
    val projectId: String,
    val siteId: String,
    val siteName: String,
    /** IANA zone of the site, e.g. `Asia/Shanghai`. */
    val timeZone: String,
) {
    val place: RecordPlace get() = RecordPlace(projectId = projectId, siteId = siteId, timeZone = timeZone)

    /** Today on the site, as `YYYY-MM-DD`: a foreman abroad or a phone on the wrong zone still files the right day. */
    fun today(clock: Clock): String = LocalDate.now(clock.withZone(ZoneId.of(timeZone))).toString()
}

/** Where the server is and who this device is (a token from `fieldledger-server token create`). */
data class ServerAccount(val baseUrl: String, val token: String)
