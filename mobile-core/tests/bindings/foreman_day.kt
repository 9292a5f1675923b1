// A foreman's day, through the real Kotlin bindings of the phone core (what the Android app calls).
//
// One store on "phone A" (foreman 王工长) lives through a day, step by step; each step builds on the ones before
// and the first failed check ends the run:
//  1. reference data for project P1 arrives (`referenceDocument` + `importChanges("reference:P1", …)`);
//  2. today's labour sheet (today on the site's calendar, Asia/Shanghai) gets 50 crew lines; totals are checked
//     against exact BigDecimal arithmetic done here;
//  3. lines are edited and one removed; yesterday's sheet of site S2 is carried over to today;
//  4. 20 expenses, one edited, summed exactly;
//  5. 10 photos (JPEGs and PNGs written with javax.imageio, up to 12 megapixels-ish camera sizes) on progress
//     reports and receipts, with a progress listener and GPS context; pending uploads; one marked uploaded;
//  6. bad input raises the right typed CoreException naming the right field, and changes nothing;
//  7. a second phone (李工长) imports the sheet, both edit offline (the same headcount included), exchange changes,
//     converge, see the conflict, resolve it and converge again;
//  8. an expense is voided;
//  9. the store is closed and reopened: everything is still there.

import java.awt.BasicStroke
import java.awt.Color
import java.awt.GradientPaint
import java.awt.image.BufferedImage
import java.io.File
import java.math.BigDecimal
import java.math.RoundingMode
import java.nio.file.Files
import java.security.MessageDigest
import java.time.LocalDate
import java.time.ZoneId
import java.util.Collections
import javax.imageio.IIOImage
import javax.imageio.ImageIO
import javax.imageio.ImageWriteParam
import kotlinx.coroutines.runBlocking
import uniffi.mobile_core.*

private const val TZ = "Asia/Shanghai"
private const val FOREMAN_A = "王工长"
private const val FOREMAN_B = "李工长"
private val TODAY: LocalDate = LocalDate.now(ZoneId.of(TZ))
private val YESTERDAY: LocalDate = TODAY.minusDays(1)
private val TOMORROW: LocalDate = TODAY.plusDays(1)

// name -> (day rate, hour rate), as the server sends them
private val TRADES = linkedMapOf(
    "木工" to ("380.00" to "47.50"),
    "钢筋工" to ("400.00" to "50.00"),
    "混凝土工" to ("360.00" to "45.00"),
    "瓦工" to ("350.00" to "44.00"),
    "普工" to ("260.00" to "32.50"),
)
private val TRADE_COST_CODE = mapOf("木工" to "03-100", "钢筋工" to "03-200", "混凝土工" to "03-100", "瓦工" to "05-100", "普工" to "01-500")
private val TRADE_ACTIVITY = mapOf("木工" to "A-POUR-L3", "钢筋工" to "A-REBAR-L3", "混凝土工" to "A-POUR-L3", "瓦工" to null, "普工" to null)
private const val SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
private val GIVEN = listOf("建国", "志强", "海涛", "春生", "国华", "永刚", "德明", "小龙", "文杰", "金山")

// ---------------------------------------------------------------------------------------------------------------
// Checks

private fun <T> eq(actual: T, expected: T, what: String) {
    check(actual == expected) { "$what:\n  expected <$expected>\n  but was  <$actual>" }
}

private inline fun <reified E : CoreException> expectError(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: CoreException) {
        check(e is E) { "$what: expected CoreException.${E::class.simpleName}, got ${e::class.simpleName}: ${e.message}" }
        return e
    }
    error("$what: expected CoreException.${E::class.simpleName}, but the call succeeded")
}

private fun expectInvalid(field: String, what: String, block: () -> Unit) {
    val e = expectError<CoreException.InvalidInput>(what, block)
    eq(e.field, field, "$what: field named by InvalidInput (reason: ${e.reason})")
    check(e.reason.isNotBlank()) { "$what: InvalidInput without a reason" }
}

// ---------------------------------------------------------------------------------------------------------------
// Money, exactly

private val CENT_SCALE = 2

/** Canonical CNY text of an exact amount; sub-cent values round half away from zero, like the core. */
private fun money(d: BigDecimal): String = d.setScale(CENT_SCALE, RoundingMode.HALF_UP).toPlainString()
private fun money(text: String): String = money(BigDecimal(text))
private fun qty(text: String): String = BigDecimal(text).stripTrailingZeros().toPlainString()
private fun cost(line: CrewLineInput): BigDecimal =
    BigDecimal(line.headcount).multiply(BigDecimal(line.effort)).multiply(BigDecimal(line.rate))
private fun cost(line: CrewLine): BigDecimal =
    BigDecimal(line.headcount).multiply(BigDecimal(line.effort)).multiply(BigDecimal(line.rate))
private fun sum(values: Iterable<BigDecimal>): BigDecimal = values.fold(BigDecimal.ZERO, BigDecimal::add)

// ---------------------------------------------------------------------------------------------------------------
// Inputs

private fun crewInput(
    trade: String, headcount: Long, unit: EffortUnit, effort: String, rate: String,
    crew: String? = null, costCode: String? = null, activity: String? = TRADE_ACTIVITY[trade], note: String? = null,
    workers: List<Worker> = emptyList(),
) = CrewLineInput(trade, crew, headcount, unit, effort, rate, costCode ?: TRADE_COST_CODE.getValue(trade), activity, note, workers)

private fun CrewLine.toInput() = CrewLineInput(trade, crew, headcount, effortUnit, effort, rate, costCode, activity, note, workers)

private fun fiftyLines(): List<CrewLineInput> {
    val names = TRADES.keys.toList()
    return (0 until 50).map { i ->
        val trade = names[i % 5]
        val (dayRate, hourRate) = TRADES.getValue(trade)
        val byDay = i % 3 != 0
        val unit = if (byDay) EffortUnit.DAYS else EffortUnit.HOURS
        val effort = if (byDay) listOf("1", "0.5", "1", "1.5")[i % 4] else listOf("8", "9.5", "10", "4.5")[i % 4]
        val rate = when {
            i % 7 == 3 -> if (byDay) "365.50" else "48" // negotiated; "48" comes back as "48.00"
            byDay -> dayRate
            else -> hourRate
        }
        val headcount = 1L + (i * 7) % 30
        val workers = if (i % 4 == 0) (0 until minOf(headcount.toInt(), 3)).map { w ->
            Worker(SURNAMES[(i + w + 3) % SURNAMES.length] + GIVEN[(i + w) % 10], if (w == 2) null else "3201041990%02d%02d%03dX".format(w + 1, i % 28 + 1, i * 3 + w))
        } else emptyList()
        crewInput(trade, headcount, unit, effort, rate, crew = "${SURNAMES[i % SURNAMES.length]}${GIVEN[i % 10][0]}班组",
            note = if (i % 11 == 5) "夜班 night shift" else null, workers = workers)
    }
}

private fun reference() = ReferenceData(
    projectId = "P1",
    currency = "CNY",
    sites = listOf(Site("S1", "3#楼 Tower 3", TZ), Site("S2", "地下车库 Basement car park", TZ)),
    costCodes = listOf(
        CostCode("01", "General conditions 措施费", null),
        CostCode("01-500", "Site general 现场杂项", "01"),
        CostCode("03", "Concrete 混凝土工程", null),
        CostCode("03-100", "Concrete 混凝土", "03"),
        CostCode("03-200", "Rebar 钢筋", "03"),
        CostCode("05", "Masonry 砌体工程", null),
        CostCode("05-100", "Masonry 砌筑", "05"),
    ),
    activities = listOf(
        Activity("A-POUR-L3", "浇筑三层顶板 Pour L3 slab", YESTERDAY.toString(), TODAY.plusDays(10).toString(), "m3"),
        Activity("A-REBAR-L3", "三层钢筋绑扎 Rebar L3", TODAY.minusDays(5).toString(), TODAY.plusDays(3).toString(), "t"),
    ),
    trades = TRADES.map { (name, rates) -> Trade(name, rates.first, rates.second) },
)

private fun allFilter(kind: RecordKind? = null, includeVoided: Boolean = false) =
    RecordFilter(kind, "P1", null, null, null, includeVoided)

private fun sha256(bytes: ByteArray): String = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
private fun sha256(file: File): String = sha256(file.readBytes())

// ---------------------------------------------------------------------------------------------------------------
// Photos: real camera-like JPEGs (and two PNG screenshots), drawn and encoded with javax.imageio

private fun sitePicture(w: Int, h: Int, seed: Int, grey: Boolean = false): BufferedImage {
    val img = BufferedImage(w, h, if (grey) BufferedImage.TYPE_BYTE_GRAY else BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    g.paint = GradientPaint(0f, 0f, Color(110 + seed * 9, 160, 230), 0f, h.toFloat(), Color(215, 210, 190))
    g.fillRect(0, 0, w, h)
    g.color = Color(95, 95, 100) // the slab
    g.fillRect(0, h * 2 / 3, w, h / 3)
    g.color = listOf(Color(230, 180, 30), Color(200, 60, 40), Color(40, 120, 200), Color(60, 160, 80))[seed % 4] // the crane
    g.stroke = BasicStroke(maxOf(2f, w / 80f))
    g.drawLine(w / 5 + seed * 7, h, w / 5 + seed * 7, h / 8)
    g.drawLine(w / 10, h / 8, w * 9 / 10, h / 8)
    for (k in 0 until 6) g.drawLine(w / 5 + seed * 7, h / 8 + k * h / 8, w / 5 + seed * 7 + w / 20, h / 8 + (k + 1) * h / 8)
    g.color = Color(60, 60, 60) // rebar mesh
    for (x in 0 until w step maxOf(6, w / 40)) g.drawLine(x, h * 2 / 3, x + w / 30, h)
    g.dispose()
    return img
}

private fun writeJpeg(img: BufferedImage, file: File, quality: Float) {
    val writer = ImageIO.getImageWritersByFormatName("jpeg").next()
    val param = writer.defaultWriteParam
    param.compressionMode = ImageWriteParam.MODE_EXPLICIT
    param.compressionQuality = quality
    ImageIO.createImageOutputStream(file).use { out ->
        writer.output = out
        writer.write(null, IIOImage(img, null, null), param)
    }
    writer.dispose()
}

private fun imageSize(path: String): Pair<Int, Int> {
    val img = checkNotNull(ImageIO.read(File(path))) { "$path is not an image ImageIO can read" }
    return img.width to img.height
}

class RecordingListener : ProgressListener {
    val calls: MutableList<Triple<UInt, UInt, String>> = Collections.synchronizedList(mutableListOf())
    override fun onProgress(done: UInt, total: UInt, item: String) {
        calls.add(Triple(done, total, item))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The day

private class Day(scratch: File) {
    val dirA: File = Files.createTempDirectory(scratch.toPath(), "phone-a-").toFile()
    val pathA = File(dirA, "fieldledger.db").path
    val camera: File = Files.createTempDirectory(scratch.toPath(), "camera-").toFile()
    val dirB: File = Files.createTempDirectory(scratch.toPath(), "phone-b-").toFile()
    var store: FieldStore = FieldStore.open(pathA, FOREMAN_A)
    lateinit var storeB: FieldStore
    lateinit var referenceBytes: ByteArray
    lateinit var sheetId: String
    val expectedLines = linkedMapOf<String, CrewLineInput>()
    val expenses = mutableListOf<Pair<String, ExpenseInput>>() // creation order
    val voided = mutableSetOf<String>()
    val photoRecords = mutableMapOf<String, MutableSet<String>>() // sha256 -> record ids
    lateinit var reportIds: List<String>
    lateinit var jpegs: List<Pair<File, Pair<Int, Int>>>
    lateinit var notes: File
    lateinit var uploadedSha: String
    lateinit var mistakeIds: List<String>

    fun expenseSum(): BigDecimal = sum(expenses.filter { it.first !in voided }.map { BigDecimal(it.second.amount) })

    /** Checks the sheet holds exactly `expected` (id -> input) with exact costs; returns the exact (unrounded) total. */
    fun checkSheet(sheet: LabourSheet, expected: Map<String, CrewLineInput>, what: String): BigDecimal {
        eq(sheet.lines.map { it.id }.toSet(), expected.keys, "$what: line ids")
        for (line in sheet.lines) {
            val inp = expected.getValue(line.id)
            eq(line.copy(id = "", position = 0, effort = "", rate = "", cost = "").toInput(), inp.copy(effort = "", rate = ""), "$what: line ${line.id}")
            eq(line.effort, qty(inp.effort), "$what: effort")
            eq(line.rate, money(inp.rate), "$what: rate")
            eq(line.cost, money(cost(inp)), "$what: cost of ${line.id}")
        }
        val total = sum(expected.values.map(::cost))
        // The total is the sum of the lines' rounded costs, as payroll and the ledger see it.
        eq(sheet.totalCost, money(sum(expected.values.map { BigDecimal(money(cost(it))) })), "$what: total cost")
        eq(sheet.totalHeadcount, expected.values.sumOf { it.headcount }, "$what: total headcount")
        eq(sheet.lines.map { it.position }, sheet.lines.map { it.position }.sorted(), "$what: lines in order")
        return total
    }

    /** Everything an app can read from a store. */
    fun snapshot(s: FieldStore): Map<String, Any?> {
        val rows = s.listRecords(RecordFilter(null, null, null, null, null, true))
        return mapOf(
            "rows" to rows,
            "records" to rows.associate { it.id to s.getRecord(it.id) },
            "heads" to rows.associate { it.id to s.heads(it.id).sorted() },
            "conflicts" to rows.associate { it.id to s.conflicts(it.id) },
            "pending" to s.pendingUploads(),
            "reference" to s.referenceData("P1"),
        )
    }

    fun checkSame(after: Map<String, Any?>, before: Map<String, Any?>, what: String) {
        for (key in before.keys) {
            val b = before[key]
            val a = after[key]
            if (a != b && a is Map<*, *> && b is Map<*, *>) {
                val diff = (a.keys + b.keys).first { a[it] != b[it] }
                error("$what: $key[$diff] differs:\n  before <${b[diff]}>\n  after  <${a[diff]}>")
            }
            eq(a, b, "$what: $key")
        }
    }

    fun mediaFiles(): Map<String, Long> =
        File("$pathA.media").walkTopDown().filter { it.isFile }.associate { it.relativeTo(dirA).path to it.length() }

    // 1 ------------------------------------------------------------------------------------------------------
    fun referenceData() {
        val s = store
        eq(s.path(), pathA, "store path")
        eq(s.referenceData("P1"), null, "a fresh store has no reference data")
        val ref = reference()
        referenceBytes = referenceDocument(ref)
        val r = s.importChanges("reference:P1", referenceBytes)
        eq(r, ImportResult("reference:P1", "reference_data", true, 0L), "reference import")
        eq(s.importChanges("reference:P1", referenceBytes).changed, false, "importing the same bytes twice")
        val got = checkNotNull(s.referenceData("P1")) { "reference data not readable after import" }
        eq(got.projectId to got.currency, "P1" to "CNY", "reference project and currency")
        // Keyed collections come back ordered by key: compare as maps.
        eq(got.sites.associateBy { it.id }, ref.sites.associateBy { it.id }, "sites")
        eq(got.costCodes.associateBy { it.code }, ref.costCodes.associateBy { it.code }, "cost codes")
        eq(got.activities.associateBy { it.id }, ref.activities.associateBy { it.id }, "activities")
        eq(got.trades.associateBy { it.name }, ref.trades.associateBy { it.name }, "trades")
        eq(s.referenceData("P2"), null, "another project")
        eq(s.listRecords(allFilter(includeVoided = true)), emptyList(), "reference data is not a listed record")
        check(expenseCategories().containsAll(listOf("materials", "meals", "fuel"))) { "categories: ${expenseCategories()}" }
        eq(coreVersion(), System.getenv("FIELDLEDGER_CORE_VERSION") ?: coreVersion(), "core version")
    }

    // 2 ------------------------------------------------------------------------------------------------------
    fun fiftyLineSheet() {
        val s = store
        val sheet = s.createLabourSheet(NewLabourSheet("P1", "S1", TZ, TODAY.toString(), null, "3#楼三层顶板浇筑 L3 slab pour"))
        sheetId = sheet.info.id
        check(sheetId.isNotEmpty())
        eq(listOf(sheet.info.projectId, sheet.info.siteId, sheet.info.timeZone, sheet.info.author), listOf("P1", "S1", TZ, FOREMAN_A), "new sheet place")
        eq(sheet.info.voided, null, "new sheet voided")
        eq(listOf(sheet.workDate, sheet.currency, sheet.totalCost), listOf(TODAY.toString(), "CNY", "0.00"), "new sheet")
        eq(sheet.lines, emptyList(), "new sheet lines")
        check(Math.abs(sheet.info.createdAtMs - System.currentTimeMillis()) < 60_000) { "created_at ${sheet.info.createdAtMs}" }

        for ((i, inp) in fiftyLines().withIndex()) {
            val line = s.addCrewLine(sheetId, inp)
            check(line.id.isNotEmpty() && line.id !in expectedLines) { "line id ${line.id}" }
            eq(line.position, i.toLong(), "position of line $i")
            eq(line.cost, money(cost(inp)), "cost of line $i")
            eq(line.workers, inp.workers, "workers of line $i")
            expectedLines[line.id] = inp
        }
        val got = s.getLabourSheet(sheetId)
        eq(got.lines.size, 50, "line count")
        val total = checkSheet(got, expectedLines, "50 lines")
        eq(total.stripTrailingZeros().scale() <= 2, true, "realistic rates and efforts give whole cents")
        eq(BigDecimal(got.totalCost).compareTo(total), 0, "total is the exact sum")
        val headcount = expectedLines.values.sumOf { it.headcount }
        val rows = s.listRecords(allFilter(kind = RecordKind.LABOUR_SHEET))
        eq(rows.size, 1, "sheets listed")
        val row = rows[0]
        eq(row.copy(subject = "", updatedAtMs = 0), RecordSummary(sheetId, RecordKind.LABOUR_SHEET, "P1", "S1", TODAY.toString(), FOREMAN_A, "",
            headcount, got.totalCost, "CNY", 50, 0, 0, false, 0), "sheet summary")
        eq(row.subject.split(", ").toSet(), TRADES.keys, "sheet subject lists its trades")
    }

    // 3 ------------------------------------------------------------------------------------------------------
    fun editsAndCarryOver() {
        val s = store
        val lines = s.getLabourSheet(sheetId).lines
        // More people came; a crew stayed late; another changed both.
        val edits = mapOf(
            lines[4].id to lines[4].toInput().copy(headcount = lines[4].headcount + 2),
            lines[9].id to lines[9].toInput().copy(effort = "10"),
            lines[21].id to lines[21].toInput().copy(headcount = 3, effort = "0.5", workers = lines[21].workers.take(3)),
        )
        for ((id, inp) in edits) {
            val before = lines.first { it.id == id }
            val line = s.updateCrewLine(sheetId, id, inp)
            eq(line.id to line.position, id to before.position, "an edit keeps id and position")
            eq(line.cost, money(cost(inp)), "edited cost")
            expectedLines[id] = inp
        }
        // A quarter hour at a rate with cents: each line's cost is rounded once to the cent, and the total is the
        // sum of those rounded costs (what payroll and the ledger post), not the exact sum rounded.
        val odd = lines[6]
        val oddInput = odd.toInput().copy(headcount = 3, effortUnit = EffortUnit.HOURS, effort = "7.25", rate = "45.50", workers = emptyList())
        val oddLine = s.updateCrewLine(sheetId, odd.id, oddInput)
        eq(cost(oddInput).compareTo(BigDecimal("989.625")), 0, "exact cost")
        eq(oddLine.cost, "989.63", "sub-cent cost shown rounded")
        expectedLines[odd.id] = oddInput

        val removed = lines[30]
        s.removeCrewLine(sheetId, removed.id)
        expectedLines.remove(removed.id)
        expectError<CoreException.NotFound>("removing a removed line") { s.removeCrewLine(sheetId, removed.id) }
        expectError<CoreException.NotFound>("editing a removed line") { s.updateCrewLine(sheetId, removed.id, removed.toInput()) }

        val sheet = s.getLabourSheet(sheetId)
        eq(sheet.lines.size, 49, "lines after removal")
        val total = checkSheet(sheet, expectedLines, "after edits")
        check(total.stripTrailingZeros().scale() > 2) { "the quarter-hour line makes the exact total sub-cent: $total" }
        eq(sheet.lines.map { it.position }, (0L until 50L).filter { it != 30L }, "positions after removal")

        // Back to whole cents for the rest of the day.
        val whole = oddInput.copy(effort = "8", rate = TRADES.getValue(odd.trade).second)
        s.updateCrewLine(sheetId, odd.id, whole)
        expectedLines[odd.id] = whole
        checkSheet(s.getLabourSheet(sheetId), expectedLines, "whole cents again")

        // Site S2: yesterday's sheet, then today's started from it.
        val yesterday = s.createLabourSheet(NewLabourSheet("P1", "S2", TZ, YESTERDAY.toString(), "CNY", "车库底板"))
        val yInputs = listOf(
            crewInput("钢筋工", 12, EffortUnit.DAYS, "1", "400", crew = "张宏班组", note = "底板钢筋",
                workers = listOf(Worker("张宏", "510102198001011234"), Worker("张伟", null))),
            crewInput("混凝土工", 8, EffortUnit.HOURS, "9.5", "45.00", crew = "刘强班组", note = "泵车"),
            crewInput("普工", 5, EffortUnit.DAYS, "0.5", "260.00", crew = "杂工班"),
            crewInput("瓦工", 4, EffortUnit.DAYS, "1", "350", crew = "陈师傅班组"),
        )
        val yLines = yInputs.map { s.addCrewLine(yesterday.info.id, it) }
        val ySheet = s.getLabourSheet(yesterday.info.id)
        checkSheet(ySheet, yLines.map { it.id }.zip(yInputs).toMap(), "yesterday's sheet")

        eq(s.startSheetFromLatest("P1", "S3", TODAY.toString()), null, "a site with no sheets")
        val todayS2 = checkNotNull(s.startSheetFromLatest("P1", "S2", TODAY.toString())) { "no sheet carried over" }
        checkCarriedOver(ySheet, todayS2, TODAY.toString())
        eq(s.getLabourSheet(todayS2.info.id), todayS2, "carried-over sheet reads back")
        eq(s.getLabourSheet(yesterday.info.id), ySheet, "the source is untouched")
        val tomorrow = s.startSheetFrom(yesterday.info.id, TOMORROW.toString())
        checkCarriedOver(ySheet, tomorrow, TOMORROW.toString())
    }

    fun checkCarriedOver(source: LabourSheet, sheet: LabourSheet, date: String) {
        check(sheet.info.id != source.info.id)
        eq(listOf(sheet.workDate, sheet.currency, sheet.note, sheet.info.siteId, sheet.info.timeZone, sheet.info.author),
            listOf(date, source.currency, null, "S2", TZ, FOREMAN_A), "carried-over sheet")
        eq(sheet.lines.size, source.lines.size, "carried-over line count")
        check(sheet.lines.none { l -> source.lines.any { it.id == l.id } }) { "carried-over lines need new ids" }
        eq(sheet.lines.map { it.id }.toSet().size, sheet.lines.size, "distinct line ids")
        for ((new, old) in sheet.lines.zip(source.lines)) {
            eq(new.copy(id = "", note = null), old.copy(id = "", note = null), "carried-over line")
            eq(new.note, null, "notes are not carried over")
        }
        eq(sheet.totalCost to sheet.totalHeadcount, source.totalCost to source.totalHeadcount, "carried-over totals")
    }

    // 4 ------------------------------------------------------------------------------------------------------
    fun twentyExpenses() {
        val s = store
        val cats = expenseCategories()
        val amounts = listOf("1280.50", "35", "86.40", "2400", "12.5", "0.50", "99999.99", "3", "458.00", "15.80",
            "7260", "120", "64.35", "880.88", "1500.00", "42", "310.10", "9.90", "2650.75", "18")
        val vendors = listOf("鑫达建材", "老王快餐", "顺丰速运", "中石化加油站", null, "五金店", "华新水泥", "早餐摊", "宏远租赁",
            "便利店", "钢材市场", "如家酒店", "电工材料部", "路桥收费", "吊车租赁", "小卖部", "劳保用品店", "打印店", "混凝土站", "水站")
        val codes = listOf("03-100", "01-500", "01-500", "01-500", "05-100", "01-500", "03-200", "01-500")
        val place = RecordPlace("P1", "S1", TZ)
        for ((i, amount) in amounts.withIndex()) {
            val inp = ExpenseInput((if (i % 4 == 0) YESTERDAY else TODAY).toString(), amount, null, cats[i % cats.size],
                vendors[i], codes[i % codes.size], if (i % 5 == 0) "发票已收 invoice kept" else null)
            val e = s.createExpense(place, inp)
            eq(e.copy(info = e.info.copy(id = "", createdAtMs = 0)), Expense(RecordInfo("", "P1", "S1", TZ, FOREMAN_A, 0, null),
                inp.date, money(amount), "CNY", inp.category, inp.vendor, inp.costCode, inp.note, emptyList()), "expense $i")
            expenses.add(e.info.id to inp)
        }
        eq(expenses.map { it.first }.toSet().size, 20, "distinct expense ids")

        // The 1280.50 was really 1302.80, from another shop, on rebar.
        val (eid, old) = expenses[0]
        val before = s.getExpense(eid)
        val fixed = old.copy(amount = "1302.80", currency = "CNY", vendor = "鑫达建材(二店)", costCode = "03-200", note = "改: 金额抄错")
        val e = s.updateExpense(eid, fixed)
        eq(listOf(e.amount, e.vendor, e.costCode, e.note), listOf("1302.80", "鑫达建材(二店)", "03-200", "改: 金额抄错"), "edited expense")
        eq(e.info, before.info, "an edit keeps id, place, author and creation time")
        eq(s.getExpense(eid), e, "edited expense reads back")
        expenses[0] = eid to fixed

        val rows = s.listRecords(allFilter(kind = RecordKind.EXPENSE))
        eq(rows.size, 20, "expenses listed")
        eq(sum(rows.map { BigDecimal(it.total) }).compareTo(expenseSum()), 0, "listed total")
        eq(expenseSum(), BigDecimal("117169.97"), "sum of the amounts typed above, after the edit")
        val byId = expenses.toMap()
        for (r in rows) {
            eq(r.total, money(byId.getValue(r.id).amount), "listed amount")
            eq(r.subject, byId.getValue(r.id).category, "listed category")
            eq(r.currency, "CNY", "listed currency")
        }
    }

    // 5 ------------------------------------------------------------------------------------------------------
    fun checkPhoto(p: Photo, file: File, size: Pair<Int, Int>, mime: String, capturedAt: Long? = null,
                   location: GeoPoint? = null, window: LongRange? = null) {
        val bytes = file.readBytes()
        eq(p.sha256, sha256(bytes), "${file.name}: sha256")
        eq(p.byteSize, bytes.size.toULong(), "${file.name}: byte size")
        eq(p.width.toInt() to p.height.toInt(), size, "${file.name}: size")
        eq(p.mime, mime, "${file.name}: mime")
        if (capturedAt != null) eq(p.capturedAtMs, capturedAt, "${file.name}: captured at")
        else check(p.capturedAtMs in window!!) { "${file.name}: captured at ${p.capturedAtMs}, attached during $window" }
        eq(p.location, location, "${file.name}: location")
        for ((path, edge) in listOf(p.thumbnailPath to 256, p.previewPath to 1280)) {
            val f = File(path)
            check(f.isFile && f.length() > 100) { "${file.name}: $path missing or empty" }
            check(f.readBytes().take(2) == listOf(0xFF.toByte(), 0xD8.toByte())) { "$path is not a JPEG" }
            val (w, h) = imageSize(path)
            if (maxOf(size.first, size.second) <= edge) eq(w to h, size, "${file.name}: never upscaled ($path)")
            else {
                eq(maxOf(w, h), edge, "${file.name}: long edge of $path")
                check(Math.abs(w.toDouble() / h - size.first.toDouble() / size.second) < 0.02) { "$path: aspect ${w}x$h vs $size" }
            }
        }
        eq(p.thumbnailSha256, sha256(File(p.thumbnailPath)), "${file.name}: thumbnail sha256")
        check(p.thumbnailPath.startsWith("$pathA.media")) { p.thumbnailPath }
    }

    fun attached(recordId: String, p: Photo) {
        photoRecords.getOrPut(p.sha256) { mutableSetOf() }.add(recordId)
    }

    fun photos() = runBlocking {
        val s = store
        val place = RecordPlace("P1", "S1", TZ)
        val pourPct = s.createProgressReport(place, ProgressInput(TODAY.toString(), "A-POUR-L3", ProgressMeasure.Percent("45"), "三层顶板浇筑过半"))
        val pourQty = s.createProgressReport(place, ProgressInput(TODAY.toString(), "A-POUR-L3", ProgressMeasure.Quantity("86.5", "m3"), "泵车 2 台"))
        val rebar = s.createProgressReport(place, ProgressInput(TODAY.toString(), "A-REBAR-L3", ProgressMeasure.Percent("60.50"), null))
        eq(pourPct.measure, ProgressMeasure.Percent("45"), "percent read back")
        eq(pourQty.measure, ProgressMeasure.Quantity("86.5", "m3"), "quantity read back")
        eq(rebar.measure, ProgressMeasure.Percent("60.5"), "percent canonical")
        reportIds = listOf(pourPct.info.id, pourQty.info.id, rebar.info.id)

        // Eight JPEGs, phone-camera sizes included (one greyscale), and two PNG screenshots.
        val shapes = listOf(4000 to 3000, 1600 to 1200, 1080 to 1920, 640 to 480, 401 to 299, 300 to 400, 1280 to 720, 96 to 64)
        jpegs = shapes.mapIndexed { k, (w, h) ->
            val f = File(camera, "IMG_20240$k.jpg")
            writeJpeg(sitePicture(w, h, k, grey = k == 4), f, 0.80f + k * 0.02f)
            f to (w to h)
        }
        val pngs = listOf(720 to 1280, 64 to 48).mapIndexed { k, (w, h) ->
            val f = File(camera, "Screenshot_$k.png")
            check(ImageIO.write(sitePicture(w, h, 10 + k), "png", f))
            f to (w to h)
        }
        eq((jpegs + pngs).map { sha256(it.first) }.toSet().size, 10, "ten different photos")

        // Four photos of the pour, with a progress bar.
        val listener = RecordingListener()
        var paths = jpegs.take(4).map { it.first.path }
        var t0 = System.currentTimeMillis()
        var got = s.attachPhotos(pourPct.info.id, paths, listener)
        var t1 = System.currentTimeMillis()
        eq(listener.calls.toList(), paths.mapIndexed { i, p -> Triple((i + 1).toUInt(), 4u, p) }, "progress calls")
        eq(got.size, 4, "photos attached")
        for ((p, j) in got.zip(jpegs)) {
            checkPhoto(p, j.first, j.second, "image/jpeg", window = t0..t1)
            attached(pourPct.info.id, p)
        }
        eq(s.getProgressReport(pourPct.info.id).photos, got, "photos read back")

        // Rebar: a JPEG and a PNG screenshot.
        val listener2 = RecordingListener()
        paths = listOf(jpegs[4].first.path, pngs[0].first.path)
        t0 = System.currentTimeMillis()
        got = s.attachPhotos(rebar.info.id, paths, listener2)
        t1 = System.currentTimeMillis()
        eq(listener2.calls.toList(), listOf(Triple(1u, 2u, paths[0]), Triple(2u, 2u, paths[1])), "progress calls (2)")
        checkPhoto(got[0], jpegs[4].first, jpegs[4].second, "image/jpeg", window = t0..t1)
        checkPhoto(got[1], pngs[0].first, pngs[0].second, "image/png", window = t0..t1)
        got.forEach { attached(rebar.info.id, it) }

        // The camera's time and GPS fix, on the quantity report.
        val shotAt = System.currentTimeMillis() - 15 * 60_000
        val gps = GeoPoint(31.230416, 121.473701, 4.5)
        var p = s.attachPhoto(pourQty.info.id, jpegs[5].first.path, PhotoContext(shotAt, gps))
        checkPhoto(p, jpegs[5].first, jpegs[5].second, "image/jpeg", capturedAt = shotAt, location = gps)
        attached(pourQty.info.id, p)
        eq(s.getProgressReport(pourQty.info.id).photos, listOf(p), "GPS photo read back")

        // Receipts.
        val (e0, e1, e2, e3) = expenses.take(4).map { it.first }
        val gps2 = GeoPoint(31.2291, 121.4752, null)
        p = s.attachPhoto(e0, jpegs[6].first.path, PhotoContext(shotAt + 1, gps2))
        checkPhoto(p, jpegs[6].first, jpegs[6].second, "image/jpeg", capturedAt = shotAt + 1, location = gps2)
        attached(e0, p)
        val receiptSha = p.sha256
        val listener3 = RecordingListener()
        paths = listOf(jpegs[7].first.path, pngs[1].first.path)
        got = s.attachPhotos(e1, paths, listener3)
        eq(listener3.calls.map { it.first }, listOf(1u, 2u), "progress calls (3)")
        eq(got.map { it.mime }, listOf("image/jpeg", "image/png"), "receipt mimes")
        got.forEach { attached(e1, it) }
        eq(s.getExpense(e1).receipts, got, "receipts read back")

        // The same photo attached to a second record: one original, two records.
        p = s.attachPhoto(e2, jpegs[0].first.path, PhotoContext(null, null))
        eq(p.sha256, sha256(jpegs[0].first), "same photo, same hash")
        attached(e2, p)

        // attachPhotos stops at the first bad file; the ones before it stay attached.
        notes = File(camera, "notes.txt").apply { writeText("今天浇筑三层顶板, 86.5 方。\n") }
        val listener4 = RecordingListener()
        expectError<CoreException.PhotoUnsupported>("a text file among photos") {
            runBlocking { s.attachPhotos(e3, listOf(jpegs[6].first.path, notes.path), listener4) }
        }
        eq(listener4.calls.toList(), listOf(Triple(1u, 2u, jpegs[6].first.path)), "progress before the bad file")
        eq(s.getExpense(e3).receipts.map { it.sha256 }, listOf(receiptSha), "the photo before the bad file stays")
        attached(e3, s.getExpense(e3).receipts[0])

        // Ten originals wait for upload.
        val pending = s.pendingUploads()
        eq(pending.size, 10, "pending uploads")
        eq(pending.associate { it.sha256 to it.recordIds.toSet() }, photoRecords.mapValues { it.value.toSet() }, "pending uploads and their records")
        eq(photoRecords.getValue(sha256(jpegs[0].first)), setOf(pourPct.info.id, e2), "one photo, two records")
        for (u in pending) {
            val f = File(u.path)
            check(f.isFile) { "original ${u.path} missing" }
            eq(f.length().toULong(), u.byteSize, "original size")
            eq(sha256(f), u.sha256, "original hash")
        }
        val rows = s.listRecords(allFilter()).associateBy { it.id }
        eq(reportIds.map { rows.getValue(it).photoCount }, listOf(4L, 1L, 2L), "report photo counts")
        eq(listOf(e0, e1, e2, e3).map { rows.getValue(it).photoCount }, listOf(1L, 2L, 1L, 1L), "receipt counts")
        eq(reportIds.map { rows.getValue(it).total }, listOf("45%", "86.5 m3", "60.5%"), "progress totals")

        // One original reaches the server.
        val up = pending.first { it.sha256 == sha256(jpegs[1].first) }
        val photo = s.getProgressReport(pourPct.info.id).photos.first { it.sha256 == up.sha256 }
        s.markPhotoUploaded(up.sha256)
        check(!File(up.path).exists()) { "the uploaded original is still on the phone" }
        check(File(photo.thumbnailPath).length() > 0 && File(photo.previewPath).length() > 0) { "thumbnail/preview lost" }
        eq(s.pendingUploads().map { it.sha256 }, pending.map { it.sha256 }.filter { it != up.sha256 }, "pending after upload")
        eq(s.getProgressReport(pourPct.info.id).photos.size, 4, "the record keeps the photo")
        s.markPhotoUploaded(up.sha256) // a retried acknowledgement is harmless
        expectError<CoreException.NotFound>("unknown photo") { s.markPhotoUploaded("0".repeat(64)) }
        uploadedSha = up.sha256
    }

    // 6 ------------------------------------------------------------------------------------------------------
    fun badInput() = runBlocking {
        val s = store
        val place = RecordPlace("P1", "S1", TZ)
        val mistakeInput = ExpenseInput(TODAY.toString(), "66", null, "other", null, "01-500", null)
        val mistake = s.createExpense(place, mistakeInput)
        s.voidRecord(mistake.info.id, "录错了 typed by mistake")
        voided.add(mistake.info.id)
        expenses.add(mistake.info.id to mistakeInput)
        val voidedSheet = s.createLabourSheet(NewLabourSheet("P1", "S1", TZ, YESTERDAY.toString(), null, null))
        s.voidRecord(voidedSheet.info.id, "重复 duplicate")
        mistakeIds = listOf(mistake.info.id, voidedSheet.info.id)

        val before = snapshot(s)
        val filesBefore = mediaFiles()
        val lines = s.getLabourSheet(sheetId).lines
        val n = lines.size
        val good = crewInput("木工", 6, EffortUnit.DAYS, "1", "380.00", crew = "王班组")
        fun add(what: String, field: String, line: CrewLineInput) = expectInvalid(field, what) { s.addCrewLine(sheetId, line) }

        add("headcount -3", "line.headcount", good.copy(headcount = -3))
        add("headcount 0", "line.headcount", good.copy(headcount = 0))
        add("headcount 5000", "line.headcount", good.copy(headcount = 5000))
        add("25 hours", "line.hours", good.copy(effortUnit = EffortUnit.HOURS, effort = "25"))
        add("4 days", "line.days", good.copy(effort = "4"))
        add("unknown cost code", "line.cost_code", good.copy(costCode = "99-999"))
        add("unknown activity", "line.activity", good.copy(activity = "A-NOPE"))
        add("blank trade", "line.trade", good.copy(trade = " "))
        add("negative rate", "line.rate", good.copy(rate = "-350"))
        add("rate with 5 decimals", "line.rate", good.copy(rate = "350.00005"))
        add("more names than people", "line.workers", good.copy(headcount = 1, workers = listOf(Worker("甲", null), Worker("乙", null))))
        // Every crew-line error names the field as `line.<field>`, whether parsing or validation refused it.
        add("rate 350,00", "line.rate", good.copy(rate = "350,00"))
        add("days 1e1", "line.days", good.copy(effort = "1e1"))
        add("hours NaN", "line.hours", good.copy(effortUnit = EffortUnit.HOURS, effort = "NaN"))
        expectInvalid("line.headcount", "editing line 5 to -3") { s.updateCrewLine(sheetId, lines[5].id, lines[5].toInput().copy(headcount = -3)) }
        expectInvalid("line_id", "blank line id") { s.updateCrewLine(sheetId, "", good) }
        expectError<CoreException.NotFound>("unknown line") { s.updateCrewLine(sheetId, "no-such-line", good) }
        expectError<CoreException.NotFound>("unknown sheet") { s.addCrewLine("no-such-sheet", good) }

        val far = TODAY.plusYears(2).toString()
        val newSheet = NewLabourSheet("P1", "S1", TZ, TODAY.toString(), null, null)
        expectInvalid("work_date", "sheet 2 years ahead") { s.createLabourSheet(newSheet.copy(workDate = far)) }
        expectInvalid("work_date", "sheet 2 days ahead") { s.createLabourSheet(newSheet.copy(workDate = TODAY.plusDays(2).toString())) }
        expectInvalid("work_date", "sheet in 1999") { s.createLabourSheet(newSheet.copy(workDate = "1999-12-31")) }
        expectInvalid("work_date", "date with slashes") { s.createLabourSheet(newSheet.copy(workDate = "2024/05/01")) }
        expectInvalid("time_zone", "unknown time zone") { s.createLabourSheet(newSheet.copy(timeZone = "Mars/Olympus")) }
        expectInvalid("currency", "unknown currency") { s.createLabourSheet(newSheet.copy(currency = "RMB")) }
        expectInvalid("work_date", "moving a sheet 2 years ahead") { s.updateLabourSheet(sheetId, far, null) }
        expectInvalid("work_date", "carrying over 2 years ahead") { s.startSheetFrom(sheetId, far) }

        val eid = expenses[1].first
        val exp = ExpenseInput(TODAY.toString(), "35.00", null, "meals", "老王快餐", "01-500", null)
        for (amount in listOf("12,34", "1e5", "NaN", "12.345", "-5", "0", "", "¥35", "1 000")) {
            expectInvalid("amount", "new expense of \"$amount\"") { s.createExpense(place, exp.copy(amount = amount)) }
            expectInvalid("amount", "expense edited to \"$amount\"") { s.updateExpense(eid, exp.copy(amount = amount)) }
        }
        expectInvalid("amount", "yen with decimals") { s.createExpense(place, exp.copy(amount = "1200.5", currency = "JPY")) }
        expectInvalid("cost_code", "expense on an unknown cost code") { s.createExpense(place, exp.copy(costCode = "99-999")) }
        expectInvalid("category", "unknown category") { s.createExpense(place, exp.copy(category = "beer")) }
        expectInvalid("date", "expense 2 years ahead") { s.createExpense(place, exp.copy(date = far)) }
        expectInvalid("date", "expense edited 2 years ahead") { s.updateExpense(eid, exp.copy(date = far)) }

        val prog = ProgressInput(TODAY.toString(), "A-POUR-L3", ProgressMeasure.Percent("50"), null)
        expectInvalid("activity", "progress on an unknown activity") { s.createProgressReport(place, prog.copy(activity = "A-NOPE")) }
        expectInvalid("percent", "101 percent") { s.createProgressReport(place, prog.copy(measure = ProgressMeasure.Percent("101"))) }
        expectInvalid("quantity", "quantity 12,5") { s.createProgressReport(place, prog.copy(measure = ProgressMeasure.Quantity("12,5", "m3"))) }
        expectInvalid("activity", "progress edited to an unknown activity") { s.updateProgressReport(reportIds[0], prog.copy(activity = "A-NOPE")) }

        val noContext = PhotoContext(null, null)
        val rid = reportIds[0]
        expectError<CoreException.PhotoUnsupported>("a text file as a photo") { runBlocking { s.attachPhoto(rid, notes.path, noContext) } }
        val cut = File(camera, "cut_off.jpg").apply { writeBytes(jpegs[3].first.readBytes().copyOf(2000)) }
        expectError<CoreException.PhotoDamaged>("a cut-off JPEG") { runBlocking { s.attachPhoto(rid, cut.path, noContext) } }
        val missing = File(camera, "IMG_missing.jpg").path
        val e = expectError<CoreException.PhotoNotFound>("a missing photo") { runBlocking { s.attachPhoto(rid, missing, noContext) } }
        eq(e.path, missing, "PhotoNotFound names the path")
        expectError<CoreException.WrongKind>("a photo on a labour sheet") { runBlocking { s.attachPhoto(sheetId, jpegs[7].first.path, noContext) } }
        expectError<CoreException.NotFound>("a photo on an unknown record") { runBlocking { s.attachPhoto("no-such-record", jpegs[7].first.path, noContext) } }
        val listener = RecordingListener()
        expectError<CoreException.PhotoNotFound>("attachPhotos with a missing file") { runBlocking { s.attachPhotos(rid, listOf(missing), listener) } }
        eq(listener.calls.toList(), emptyList(), "no progress for a failed photo")
        // The app cancels: a cancelled token stops attachPhotos before the first photo.
        val token = CancelToken()
        token.cancel()
        check(token.isCancelled()) { "the token says it is cancelled" }
        expectError<CoreException.Cancelled>("attachPhotos with a cancelled token") {
            runBlocking { s.attachPhotos(rid, listOf(jpegs[7].first.path), listener, token) }
        }
        eq(listener.calls.toList(), emptyList(), "no progress once cancelled")

        val (voidedExpense, voidedSheetId) = mistakeIds
        expectError<CoreException.RecordVoided>("editing a voided expense") { s.updateExpense(voidedExpense, exp) }
        expectError<CoreException.RecordVoided>("voiding twice") { s.voidRecord(voidedExpense, "again") }
        expectError<CoreException.RecordVoided>("a photo on a voided expense") { runBlocking { s.attachPhoto(voidedExpense, jpegs[7].first.path, noContext) } }
        expectError<CoreException.RecordVoided>("a line on a voided sheet") { s.addCrewLine(voidedSheetId, good) }
        val v = expectError<CoreException.RecordVoided>("moving a voided sheet") { s.updateLabourSheet(voidedSheetId, TODAY.toString(), "x") }
        eq(v.id, voidedSheetId, "RecordVoided names the record")
        expectInvalid("reason", "voiding without a reason") { s.voidRecord(eid, "  ") }

        expectError<CoreException.WrongKind>("a sheet read as an expense") { s.getExpense(sheetId) }
        expectError<CoreException.NotFound>("unknown record") { s.getRecord("no-such-record") }
        expectInvalid("date_from", "bad filter date") { s.listRecords(RecordFilter(null, null, null, "yesterday", null, false)) }
        expectInvalid("since", "bad head") { s.exportChanges(sheetId, listOf("not-a-hash")) }
        expectInvalid("since", "unknown head") { s.exportChanges(sheetId, listOf("ab".repeat(32))) }
        expectError<CoreException.BadDocument>("garbage import") { s.importChanges("some-id", "not automerge at all".toByteArray()) }

        checkSame(snapshot(s), before, "bad input changed the store")
        eq(mediaFiles(), filesBefore, "bad input left files in the media folder")
    }

    // 7 ------------------------------------------------------------------------------------------------------
    fun twoPhones() {
        val a = store
        val b = FieldStore.open(File(dirB, "fieldledger.db").path, FOREMAN_B)
        storeB = b
        b.importChanges("reference:P1", referenceBytes)
        eq(b.importChanges(sheetId, a.exportDocument(sheetId)), ImportResult(sheetId, "labour_sheet", true, 0), "phone B imports the sheet")
        eq(b.getLabourSheet(sheetId), a.getLabourSheet(sheetId), "same sheet on both phones")
        val base = a.heads(sheetId)
        eq(b.heads(sheetId).sorted(), base.sorted(), "same heads")
        eq(b.listRecords(allFilter()).map { it.id to it.author }, listOf(sheetId to FOREMAN_A), "phone B lists the sheet, by its author")

        val lines = a.getLabourSheet(sheetId).lines
        val same = lines[0]
        val onlyA = lines[1]
        val onlyB = lines[2]
        val headA = same.headcount + 1
        val headB = same.headcount + 4
        // Offline on both phones.
        a.updateCrewLine(sheetId, same.id, same.toInput().copy(headcount = headA))
        a.updateCrewLine(sheetId, onlyA.id, onlyA.toInput().copy(effort = "1.5", note = "加班 overtime"))
        b.updateCrewLine(sheetId, same.id, same.toInput().copy(headcount = headB))
        b.updateCrewLine(sheetId, onlyB.id, onlyB.toInput().copy(rate = "410.00"))
        val bLine = b.addCrewLine(sheetId, crewInput("普工", 2, EffortUnit.DAYS, "1", "260.00", crew = "李班组", note = "phone B added"))
        check(a.getLabourSheet(sheetId) != b.getLabourSheet(sheetId)) { "the phones should differ before the exchange" }

        val fromA = a.exportChanges(sheetId, base)
        val fromB = b.exportChanges(sheetId, base)
        val ra = a.importChanges(sheetId, fromB)
        val rb = b.importChanges(sheetId, fromA)
        eq(listOf(ra.changed, rb.changed), listOf(true, true), "both imports change something")
        eq(listOf(ra.conflictCount, rb.conflictCount), listOf(1L, 1L), "one conflict after the merge")
        eq(a.importChanges(sheetId, fromB).changed, false, "the same changes twice change nothing")

        var sa = a.getLabourSheet(sheetId)
        eq(b.getLabourSheet(sheetId), sa, "converged sheets")
        eq(a.heads(sheetId).sorted(), b.heads(sheetId).sorted(), "converged heads")
        var merged = sa.lines.associateBy { it.id }
        check(merged.getValue(same.id).headcount in setOf(headA, headB)) { "merged headcount ${merged.getValue(same.id).headcount}" }
        eq(merged.getValue(onlyA.id).effort to merged.getValue(onlyA.id).note, "1.5" to "加班 overtime", "phone A's edit merged")
        eq(merged.getValue(onlyB.id).rate, "410.00", "phone B's edit merged")
        eq(merged.getValue(bLine.id).note, "phone B added", "phone B's new line merged")
        eq(sa.lines.size, lines.size + 1, "merged line count")
        eq(sa.totalCost, money(sum(sa.lines.map { BigDecimal(money(cost(it))) })), "merged total")
        eq(sa.totalHeadcount, sa.lines.sumOf { it.headcount }, "merged headcount")

        val path = "lines/${same.id}/headcount"
        for ((name, s) in listOf("A" to a, "B" to b)) {
            val c = s.conflicts(sheetId)
            eq(c.map { it.path }, listOf(path), "phone $name: conflicts")
            eq(c[0].values.sorted(), listOf(headA.toString(), headB.toString()).sorted(), "phone $name: both values")
            eq(c[0].values[0], merged.getValue(same.id).headcount.toString(), "phone $name: the value shown comes first")
            eq(s.listRecords(allFilter()).first { it.id == sheetId }.conflictCount, 1L, "phone $name: listed conflict count")
        }

        // The foreman on phone A keeps phone B's count.
        val mergedHeads = a.heads(sheetId)
        val choice = a.conflicts(sheetId)[0].values.indexOf(headB.toString())
        expectInvalid(path, "choice out of range") { a.resolveConflict(sheetId, path, 7u) }
        expectError<CoreException.InvalidInput>("a field without conflict") { a.resolveConflict(sheetId, "lines/${onlyA.id}/headcount", 0u) }
        a.resolveConflict(sheetId, path, choice.toUInt())
        eq(a.conflicts(sheetId), emptyList(), "no conflict after resolving")
        eq(a.getLabourSheet(sheetId).lines.first { it.id == same.id }.headcount, headB, "the chosen value")

        val rb2 = b.importChanges(sheetId, a.exportChanges(sheetId, mergedHeads))
        eq(rb2.changed to rb2.conflictCount, true to 0L, "phone B receives the resolution")
        eq(b.conflicts(sheetId), emptyList(), "phone B: no conflict")
        eq(a.importChanges(sheetId, b.exportChanges(sheetId, mergedHeads)).changed, false, "phone B had nothing new")
        sa = a.getLabourSheet(sheetId)
        eq(b.getLabourSheet(sheetId), sa, "converged again")
        eq(a.heads(sheetId).sorted(), b.heads(sheetId).sorted(), "same heads again")
        merged = sa.lines.associateBy { it.id }
        eq(merged.getValue(same.id).headcount, headB, "both read the chosen value")
        for (s in listOf(a, b)) {
            val row = s.listRecords(allFilter()).first { it.id == sheetId }
            eq(listOf(row.conflictCount, row.headcount, row.lineCount), listOf(0L, sa.totalHeadcount, sa.lines.size.toLong()), "listed after resolving")
            eq(row.total, sa.totalCost, "listed total after resolving")
        }
    }

    // 8 ------------------------------------------------------------------------------------------------------
    fun voidAnExpense() {
        val s = store
        val (eid, inp) = expenses[5]
        s.voidRecord(eid, "重复录入 entered twice")
        voided.add(eid)
        val e = s.getExpense(eid)
        val v = checkNotNull(e.info.voided) { "voided expense reads as not voided" }
        eq(v.reason to v.by, "重复录入 entered twice" to FOREMAN_A, "void reason and author")
        check(Math.abs(v.atMs - System.currentTimeMillis()) < 60_000) { "voided at ${v.atMs}" }
        eq(e.amount, money(inp.amount), "a voided record keeps its content")
        val live = s.listRecords(allFilter(kind = RecordKind.EXPENSE))
        val every = s.listRecords(allFilter(kind = RecordKind.EXPENSE, includeVoided = true))
        check(live.none { it.id == eid }) { "a voided expense is still listed" }
        eq(live.size to every.size, 19 to 21, "listed without / with voided")
        eq(every.filter { it.voided }.map { it.id }.toSet(), voided, "voided flags")
        eq(sum(live.map { BigDecimal(it.total) }).compareTo(expenseSum()), 0, "live total")
        eq(expenseSum(), BigDecimal("117169.47"), "total without the voided 0.50")
    }

    // 9 ------------------------------------------------------------------------------------------------------
    fun reopen() {
        val s = store
        val before = snapshot(s)
        eq((before["rows"] as List<*>).size, 1 + 3 + 21 + 3 + 1, "records before closing")
        eq((before["pending"] as List<*>).size, 9, "pending before closing")
        s.closeStore()
        s.closeStore() // closing twice is harmless
        expectError<CoreException.Closed>("a closed store") { s.listRecords(allFilter()) }
        expectError<CoreException.Closed>("a closed store (2)") { s.getLabourSheet(sheetId) }
        s.destroy()
        storeB.closeStore()
        storeB.destroy()

        val reopened = FieldStore.open(pathA, FOREMAN_A)
        store = reopened
        checkSame(snapshot(reopened), before, "the reopened store differs")
        var seen = 0
        for (id in (before["records"] as Map<*, *>).keys) {
            val photos = when (val r = reopened.getRecord(id as String)) {
                is AnyRecord.ProgressReport -> r.report.photos
                is AnyRecord.Expense -> r.expense.receipts
                is AnyRecord.LabourSheet -> emptyList()
                is AnyRecord.WageAdvance -> r.advance.slips
                is AnyRecord.Observation -> r.observation.photos
                is AnyRecord.DayLog -> emptyList()
            }
            for (p in photos) {
                check(File(p.thumbnailPath).length() > 0 && File(p.previewPath).length() > 0) { "thumbnail/preview of ${p.sha256}" }
                eq(File("$pathA.media/originals/${p.sha256}").exists(), p.sha256 != uploadedSha, "original of ${p.sha256} kept until uploaded")
                seen++
            }
        }
        eq(seen, 12, "photos on reports and receipts")
        val sheet = reopened.getLabourSheet(sheetId)
        eq(sheet.lines.size, 50, "lines after reopening")
        val line = reopened.addCrewLine(sheetId, crewInput("瓦工", 2, EffortUnit.DAYS, "1", "350.00"))
        eq(line.position, 51L, "a new line after reopening")
        eq(reopened.getLabourSheet(sheetId).totalHeadcount, sheet.totalHeadcount + 2, "headcount after reopening")
        reopened.closeStore()
        reopened.destroy()
    }
}

fun main() {
    System.setProperty("java.awt.headless", "true")
    val scratch = File(System.getenv("FIELDLEDGER_SCRATCH_DIR") ?: Files.createTempDirectory("foreman-day-").toString())
    val day = Day(scratch)
    val steps = listOf<Pair<String, () -> Unit>>(
        "1. reference data" to day::referenceData,
        "2. today's sheet, 50 crew lines" to day::fiftyLineSheet,
        "3. edits, removal, carry-over" to day::editsAndCarryOver,
        "4. 20 expenses" to day::twentyExpenses,
        "5. photos" to { day.photos() },
        "6. bad input changes nothing" to { day.badInput() },
        "7. two phones converge" to day::twoPhones,
        "8. void an expense" to day::voidAnExpense,
        "9. close and reopen" to day::reopen,
    )
    for ((name, step) in steps) {
        val t0 = System.currentTimeMillis()
        try {
            step()
        } catch (e: Throwable) {
            System.err.println("FAILED in step $name")
            throw e
        }
        println("ok  $name (${System.currentTimeMillis() - t0} ms)")
    }
}
