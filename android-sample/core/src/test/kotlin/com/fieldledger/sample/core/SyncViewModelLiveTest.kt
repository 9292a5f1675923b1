package com.fieldledger.sample.core

import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets.UTF_8
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import uniffi.mobile_core.ApprovalState
import uniffi.mobile_core.FieldStore
import uniffi.mobile_core.PhotoContext
import uniffi.mobile_core.PhotoSize

/**
 * The view models against the real server (server/tests/android_sample.rs starts it and passes its address and
 * device tokens): reference data arriving by sync feeds the presets, sync with progress, sign-out refused while work
 * is unsynced, two phones' conflicting edits settled on the record screen, a supervisor's approval shown on the
 * phone, the errors a foreman meets with no signal or a revoked token, and the Cancel button stopping a sync that
 * hangs.
 */
class SyncViewModelLiveTest {
    private val url = env("FIELDLEDGER_URL")
    private val site = Fixtures.site
    private val clock = Fixtures.clockOn(Fixtures.today)
    private val http = HttpClient.newHttpClient()

    @Test
    fun aForemansDayThroughTheServer() = runBlocking {
        putReference()
        // Both phones' requests go through the app's HttpURLConnection transport, as on a phone.
        val httpA = JvmTransport()
        val httpB = JvmTransport()
        val pathA = Fixtures.freshDir("phone-a").resolve("a.db").path
        val phoneA = FieldRepository(FieldStore.openWithHttp(pathA, "王工长", httpA))
        val phoneB = FieldRepository(FieldStore.openWithHttp(Fixtures.freshDir("phone-b").resolve("b.db").path, "李工长", httpB))
        val syncA = SyncViewModel(phoneA, ServerAccount(url, env("FIELDLEDGER_TOKEN_A")))
        val syncB = SyncViewModel(phoneB, ServerAccount(url, env("FIELDLEDGER_TOKEN_B")))

        // First sync brings the reference data: the sheet's presets are the server's trades and rates.
        assertTrue(syncA.sync(), "${syncA.state.value}")
        val first = assertIs<SyncPhase.Finished>(syncA.state.value.phase).report
        assertEquals(emptyList(), first.errors)
        val sheetA = TodaySheetViewModel(phoneA, site, clock)
        sheetA.load()
        assertEquals(listOf("木工" to "380.00", "混凝土工" to "360.00"), sheetA.state.value.presets.map { it.trade to it.rate })

        // A records a line and a progress photo; both wait on the phone, and sign-out is refused.
        sheetA.pick(sheetA.state.value.presets.first { it.trade == "木工" })
        sheetA.change { it.copy(headcount = "5", costCode = "03-100") }
        assertTrue(sheetA.save(), "${sheetA.state.value}")
        val sheetId = assertNotNull(sheetA.state.value.sheet).info.id
        val progress = ProgressPhotoViewModel(phoneA, site, clock)
        progress.load()
        progress.choose(progress.state.value.activities.single())
        progress.change { it.copy(measure = MeasureKind.PERCENT, value = "40") }
        progress.addPhoto(PickedPhoto(Fixtures.jpeg(Fixtures.freshDir("camera"), "slab.jpg").path, PhotoContext(null, null)))
        assertTrue(progress.save(), "${progress.state.value}")
        val progressId = assertNotNull(progress.state.value.saved).info.id
        syncA.refresh()
        assertEquals(2u to 1u, assertNotNull(syncA.state.value.unsynced).let { it.records to it.photos })
        assertTrue(!syncA.signOut(discardUnsynced = false))
        assertEquals(UiError.Unsynced(2, 1), syncA.state.value.signOutBlocked)
        assertTrue(!syncA.state.value.signedOut)

        // Sync sends both records and uploads the photo; nothing is left waiting.
        assertTrue(syncA.sync())
        val sent = assertIs<SyncPhase.Finished>(syncA.state.value.phase).report
        assertEquals(emptyList(), sent.errors)
        assertEquals(1u, sent.photosUploaded)
        assertEquals(0u to 0u, assertNotNull(syncA.state.value.unsynced).let { it.records to it.photos })
        val carried = httpA.viaUrlConnection.toList()
        assertTrue("POST /v1/sync" in carried && "POST /v1/uploads" in carried, "through HttpURLConnection: $carried")
        assertTrue(httpA.patches.get() >= 1, "the photo's chunks went through the transport")

        // B gets the sheet; both change the same headcount offline; after syncing, both see the conflict.
        assertTrue(syncB.sync())
        // A's progress photo on B: the record came, its files did not; showing it fetches them (A's are on A).
        val photoOnB = phoneB.progress(progressId).photos.single()
        assertTrue(!photoOnB.thumbnailOnPhone && !photoOnB.previewOnPhone, "$photoOnB")
        val thumb = phoneB.photoFile(ServerAccount(url, env("FIELDLEDGER_TOKEN_B")), photoOnB, PhotoSize.THUMBNAIL)
        assertEquals(photoOnB.thumbnailPath, thumb)
        assertTrue(java.io.File(thumb).length() > 0, "fetched to the photo's thumbnail path")
        assertTrue(phoneB.progress(progressId).photos.single().thumbnailOnPhone)
        val ownPhoto = phoneA.progress(progressId).photos.single()
        val ownPreview = phoneA.photoFile(ServerAccount("http://127.0.0.1:9", "none"), ownPhoto, PhotoSize.PREVIEW)
        assertEquals(ownPhoto.previewPath, ownPreview, "on the phone: no request")
        val lineId = phoneB.sheet(sheetId).lines.single().id
        val sheetB = TodaySheetViewModel(phoneB, site, clock)
        sheetB.load()
        assertEquals(sheetId, assertNotNull(sheetB.state.value.sheet).info.id, "B sees A's sheet as today's")
        assertTrue(sheetA.nudgeHeadcount(lineId, +1)) // 6 on A
        assertTrue(sheetB.nudgeHeadcount(lineId, +2)) // 7 on B
        assertTrue(syncA.sync())
        assertTrue(syncB.sync())
        assertTrue(syncA.sync())
        val listA = RecordsViewModel(phoneA, site, clock)
        assertTrue(listA.refresh())
        val row = listA.state.value.rows.first { it.summary.id == sheetId }
        assertEquals(1L, row.summary.conflictCount)
        assertTrue(row.needsAttention)

        val recordA = RecordViewModel(phoneA, sheetId)
        assertTrue(recordA.load())
        val conflict = recordA.state.value.conflicts.single()
        assertEquals("lines/$lineId/headcount", conflict.path)
        assertEquals(setOf("6", "7"), conflict.values.toSet())
        assertTrue(recordA.keep(conflict.path, conflict.values.indexOf("7")))
        assertEquals(emptyList(), recordA.state.value.conflicts)
        assertTrue(syncA.sync())
        assertTrue(syncB.sync())
        assertEquals(emptyList(), phoneB.conflicts(sheetId))
        assertEquals(7L, phoneB.sheet(sheetId).lines.single().headcount)
        assertEquals(phoneA.sheet(sheetId), phoneB.sheet(sheetId), "the phones converged")

        // A supervisor approves; the phone shows it after the next sync.
        assertEquals(ApprovalState.PENDING, phoneA.approval(sheetId).state)
        approve(sheetId, "人数核对无误")
        assertTrue(syncA.sync())
        assertTrue(listA.refresh())
        val approved = listA.state.value.rows.first { it.summary.id == sheetId }.approval
        assertEquals(ApprovalState.APPROVED, approved.state)
        assertEquals("人数核对无误", approved.comment)
        assertTrue(approved.label().startsWith("Approved by "), approved.label())

        // No signal, and a token the server does not know: clear errors, nothing lost.
        val offline = SyncViewModel(phoneA, ServerAccount("http://127.0.0.1:9", env("FIELDLEDGER_TOKEN_A")))
        assertTrue(!offline.sync())
        assertIs<UiError.Offline>(assertIs<SyncPhase.Failed>(offline.state.value.phase).error)
        val revoked = SyncViewModel(phoneA, ServerAccount(url, "flt_not_a_token"))
        assertTrue(!revoked.sync())
        assertIs<UiError.SignInAgain>(assertIs<SyncPhase.Failed>(revoked.state.value.phase).error)
        assertEquals(7L, phoneA.sheet(sheetId).lines.single().headcount)

        // A server that takes the connection and never answers: the Cancel button stops the sync at once.
        ServerSocket(0, 4, InetAddress.getLoopbackAddress()).use { silent ->
            val held = mutableListOf<Socket>()
            val acceptor = Thread { runCatching { held.add(silent.accept()) } }.apply { isDaemon = true; start() }
            val stuck = SyncViewModel(phoneA, ServerAccount("http://127.0.0.1:${silent.localPort}", env("FIELDLEDGER_TOKEN_A")))
            val started = System.nanoTime()
            val running = async(Dispatchers.Default) { stuck.sync() }
            acceptor.join(10_000)
            assertEquals(1, held.size, "the sync reached the silent server")
            stuck.cancel()
            assertTrue(!running.await(), "a cancelled sync does not report success")
            val tookMs = (System.nanoTime() - started) / 1_000_000
            assertTrue(tookMs < 10_000, "cancelled promptly, not after the request timeout: $tookMs ms")
            assertIs<SyncPhase.Idle>(stuck.state.value.phase)
            held.forEach { it.close() }
        }
        assertEquals(7L, phoneA.sheet(sheetId).lines.single().headcount)

        // The app's HTTP failing (no signal): the sync is Offline, asked the transport once, and changes nothing.
        val noSignal = NoSignalTransport()
        val basement = FieldRepository(FieldStore.openWithHttp(pathA, "王工长", noSignal))
        val before = basement.unsynced() to basement.sheet(sheetId)
        val stuckInBasement = SyncViewModel(basement, ServerAccount(url, env("FIELDLEDGER_TOKEN_A")))
        assertTrue(!stuckInBasement.sync())
        assertIs<UiError.Offline>(assertIs<SyncPhase.Failed>(stuckInBasement.state.value.phase).error)
        assertEquals(1, noSignal.calls.get())
        assertEquals(before, basement.unsynced() to basement.sheet(sheetId), "nothing stored changed")
        basement.close()

        // Everything is on the server now: sign-out goes through.
        assertTrue(syncA.signOut(discardUnsynced = false), "${syncA.state.value}")
        assertTrue(syncA.state.value.signedOut)
        assertNull(syncA.state.value.signOutBlocked)
        phoneB.close()
    }

    private fun env(name: String): String =
        checkNotNull(System.getenv(name)) { "$name is not set: run this test through server/tests/android_sample.rs" }

    /** The project's reference data, as an office admin would enter it. */
    private fun putReference() {
        val admin = env("FIELDLEDGER_TOKEN_ADMIN")
        put("/v1/reference/project", admin, """{"name": "三号楼 Tower 3", "currency": "CNY"}""")
        put("/v1/reference/sites/S1", admin, """{"name": "3#楼", "time_zone": "Asia/Shanghai"}""")
        put("/v1/reference/cost_codes/03", admin, """{"name": "Concrete", "budget": "500000.00"}""")
        put("/v1/reference/cost_codes/03-100", admin, """{"name": "Cast in place", "parent": "03", "budget": "200000.00"}""")
        put(
            "/v1/reference/activities/A-POUR-L3", admin,
            """{"name": "Pour L3", "planned_start": "${Fixtures.yesterday}", "planned_finish": "${Fixtures.today.plusDays(9)}",
               "budget": "80000.00", "cost_code": "03-100", "unit": "m3"}""",
        )
        put("/v1/reference/trades/${path("木工")}", admin, """{"day_rate": "380.00", "hour_rate": "47.50"}""")
        put("/v1/reference/trades/${path("混凝土工")}", admin, """{"day_rate": "360.00"}""")
    }

    private fun approve(recordId: String, comment: String) {
        val sup = env("FIELDLEDGER_TOKEN_SUP")
        val record = send(HttpRequest.newBuilder(URI("$url/v1/records/$recordId")).header("Authorization", "Bearer $sup").GET())
        val heads = Regex("\"heads\"\\s*:\\s*(\\[[^\\]]*\\])").find(record)?.groupValues?.get(1)
            ?: error("no heads in $record")
        send(
            HttpRequest.newBuilder(URI("$url/v1/records/$recordId/approve"))
                .header("Authorization", "Bearer $sup").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""{"heads": $heads, "comment": "$comment"}""")),
        )
    }

    private fun put(path: String, token: String, json: String) {
        send(
            HttpRequest.newBuilder(URI(url + path)).header("Authorization", "Bearer $token")
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)),
        )
    }

    private fun send(request: HttpRequest.Builder): String {
        val response = http.send(request.build(), HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299) { "${response.request().method()} ${response.uri()}: ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    private fun path(segment: String) = URLEncoder.encode(segment, UTF_8).replace("+", "%20")
}
