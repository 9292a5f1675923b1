package com.fieldledger.sample.core

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Files
import java.time.Clock
import java.time.LocalDate
import java.time.ZoneId
import java.time.ZoneOffset
import javax.imageio.ImageIO
import uniffi.mobile_core.Activity
import uniffi.mobile_core.CostCode
import uniffi.mobile_core.FieldStore
import uniffi.mobile_core.ReferenceData
import uniffi.mobile_core.Site
import uniffi.mobile_core.Trade
import uniffi.mobile_core.referenceDocument

/** What the tests share: a site, fixed clocks on its calendar, stores in fresh folders, reference data, real photos. */
object Fixtures {
    const val TZ = "Asia/Shanghai"
    val site = SiteContext(projectId = "P1", siteId = "S1", siteName = "3#楼 Tower 3", timeZone = TZ)

    /** Today and yesterday on the site's calendar (the core refuses work dates far in the future). */
    val today: LocalDate get() = LocalDate.now(ZoneId.of(TZ))
    val yesterday: LocalDate get() = today.minusDays(1)

    /** 09:00 on [date] at the site, as a clock in UTC: the view models must read dates in the site's zone. */
    fun clockOn(date: LocalDate): Clock =
        Clock.fixed(date.atTime(9, 0).atZone(ZoneId.of(TZ)).toInstant(), ZoneOffset.UTC)

    /** A fresh folder under the harness's scratch directory (or the system temp folder). */
    fun freshDir(name: String): File {
        val root = System.getenv("FIELDLEDGER_SCRATCH_DIR")?.let(::File) ?: File(System.getProperty("java.io.tmpdir"))
        root.mkdirs()
        return Files.createTempDirectory(root.toPath(), name).toFile()
    }

    fun repo(author: String = "王工长", withReference: Boolean = true): FieldRepository {
        val store = FieldStore.open(File(freshDir("phone"), "phone.db").path, author)
        if (withReference) store.importChanges("reference:P1", referenceDocument(reference()))
        return FieldRepository(store)
    }

    fun reference() = ReferenceData(
        projectId = "P1",
        currency = "CNY",
        sites = listOf(Site("S1", "3#楼 Tower 3", TZ)),
        costCodes = listOf(
            CostCode("03", "Concrete 混凝土工程", null),
            CostCode("03-100", "Concrete 混凝土", "03"),
            CostCode("05-100", "Masonry 砌筑", null),
        ),
        activities = listOf(
            Activity("A-POUR-L3", "浇筑三层顶板 Pour L3 slab", yesterday.toString(), today.plusDays(10).toString(), "m3"),
        ),
        trades = listOf(Trade("木工", "380.00", "47.50"), Trade("钢筋工", null, "50.00")),
    )

    /** A real JPEG (a sky, a slab and a crane moved by [seed]: photos with equal pixels are one photo to the core), as a phone camera would leave it in the app's cache. */
    fun jpeg(dir: File, name: String, w: Int = 1600, h: Int = 1200, seed: Int = 0): File {
        val img = BufferedImage(w, h, BufferedImage.TYPE_INT_RGB)
        val g = img.createGraphics()
        g.color = Color(150, 190, 230)
        g.fillRect(0, 0, w, h)
        g.color = Color(95, 95, 100)
        g.fillRect(0, h * 2 / 3, w, h / 3)
        g.color = Color(230, 180, 30)
        g.fillRect(w / 5 + seed * 13, h / 8, w / 40, h * 7 / 8)
        g.dispose()
        val file = File(dir, name)
        check(ImageIO.write(img, "jpeg", file)) { "no JPEG writer" }
        return file
    }
}
