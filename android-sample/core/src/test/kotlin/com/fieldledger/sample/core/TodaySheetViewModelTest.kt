package com.fieldledger.sample.core

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.mobile_core.EffortUnit

class TodaySheetViewModelTest {
    private val site = Fixtures.site

    @Test
    fun presetsFromReferenceRatesFillALineInTwoTaps() = runBlocking {
        Fixtures.repo().use { repo ->
            val vm = TodaySheetViewModel(repo, site, Fixtures.clockOn(Fixtures.today))
            assertTrue(vm.load())
            val s = vm.state.value
            assertEquals(Fixtures.today.toString(), s.date, "today on the site's calendar")
            assertNull(s.sheet, "no sheet started yet")
            // Reference trades, by name: a day rate gives one day, an hour rate alone eight hours.
            assertEquals(
                listOf(Triple("木工", EffortUnit.DAYS, "380.00"), Triple("钢筋工", EffortUnit.HOURS, "50.00")),
                s.presets.map { Triple(it.trade, it.effortUnit, it.rate) },
            )
            assertTrue(s.presets.all { it.lastUsed == null })

            vm.pick(s.presets.first { it.trade == "木工" })
            assertEquals("380.00", vm.state.value.draft.rate)
            assertEquals("1", vm.state.value.draft.effort)
            vm.change { it.copy(headcount = "6", costCode = "03-100", crew = "张班组") }
            assertTrue(vm.save(), "saved: ${vm.state.value}")

            val after = vm.state.value
            val sheet = assertNotNull(after.sheet)
            assertEquals(1, sheet.lines.size)
            assertEquals("2280.00", sheet.totalCost, "6 × 1 day × 380.00")
            assertEquals(6L, sheet.totalHeadcount)
            assertEquals(CrewDraft(), after.draft, "the form is cleared for the next line")
            // The trade just used comes first now, with today's values: the last-used rate.
            val first = after.presets.first()
            assertEquals(listOf("木工", "钢筋工"), after.presets.map { it.trade })
            assertEquals(Fixtures.today.toString(), first.lastUsed)
            assertEquals(6L, first.headcount)
            assertEquals("张班组", first.crew)
        }
    }

    @Test
    fun badInputNamesTheFieldAndChangesNothing() = runBlocking {
        Fixtures.repo().use { repo ->
            val vm = TodaySheetViewModel(repo, site, Fixtures.clockOn(Fixtures.today))
            vm.load()
            vm.pick(vm.state.value.presets.first())
            vm.change { it.copy(headcount = "4", costCode = "03-100") }
            assertTrue(vm.save())
            val sheetId = assertNotNull(vm.state.value.sheet).info.id
            val before = repo.sheet(sheetId)

            val cases = listOf(
                "headcount" to { d: CrewDraft -> d.copy(headcount = "four") },
                "headcount" to { d: CrewDraft -> d.copy(headcount = "-3") },
                "effort" to { d: CrewDraft -> d.copy(effortUnit = EffortUnit.HOURS, effort = "25") },
                "rate" to { d: CrewDraft -> d.copy(rate = "12,34") },
                "rate" to { d: CrewDraft -> d.copy(rate = "NaN") },
                "cost_code" to { d: CrewDraft -> d.copy(costCode = "99-999") },
            )
            for ((field, typo) in cases) {
                vm.pick(vm.state.value.presets.first())
                vm.change { typo(it.copy(headcount = "4", costCode = "03-100")) }
                val typed = vm.state.value.draft
                assertFalse(vm.save(), "refused: $typed")
                val errors = vm.state.value.fieldErrors
                assertEquals(setOf(field), errors.keys, "the field named for $typed")
                assertTrue(errors.getValue(field).isNotBlank())
                assertEquals(typed, vm.state.value.draft, "the form keeps what was typed")
                assertEquals(before, repo.sheet(sheetId), "the stored sheet is unchanged")
            }
        }
    }

    @Test
    fun aRefusedFirstLineStillLeavesOneSheetForTheDay() = runBlocking {
        Fixtures.repo().use { repo ->
            val vm = TodaySheetViewModel(repo, site, Fixtures.clockOn(Fixtures.today))
            vm.load()
            vm.pick(vm.state.value.presets.first())
            vm.change { it.copy(headcount = "4", costCode = "99-999") }
            assertFalse(vm.save())
            assertEquals(setOf("cost_code"), vm.state.value.fieldErrors.keys)
            vm.change { it.copy(costCode = "03-100") }
            assertTrue(vm.save())
            val sheets = repo.records(site, null, null)
            assertEquals(1, sheets.size, "one sheet for the day, not one per attempt")
            assertEquals(1L, sheets.single().lineCount)
        }
    }

    @Test
    fun yesterdaysCrewsCarryOverAndNudgesRecostExactly() = runBlocking {
        Fixtures.repo().use { repo ->
            val yesterday = TodaySheetViewModel(repo, site, Fixtures.clockOn(Fixtures.yesterday))
            yesterday.load()
            assertTrue(yesterday.startToday(copyLatest = false))
            for ((trade, headcount, unit, effort, rate) in listOf(
                Line("木工", "4", EffortUnit.DAYS, "1", "380.00"),
                Line("瓦工", "3", EffortUnit.HOURS, "8", "44"),
            )) {
                yesterday.change {
                    CrewDraft(trade = trade, headcount = headcount, effortUnit = unit, effort = effort, rate = rate, costCode = "03-100")
                }
                assertTrue(yesterday.save(), "${yesterday.state.value.fieldErrors}")
            }
            assertEquals("2576.00", assertNotNull(yesterday.state.value.sheet).totalCost, "4×380 + 3×8×44")

            val today = TodaySheetViewModel(repo, site, Fixtures.clockOn(Fixtures.today))
            today.load()
            assertNull(today.state.value.sheet)
            // Presets now carry yesterday's values, newest use first; the reference trade not used comes last.
            assertEquals(listOf("木工", "瓦工", "钢筋工"), today.state.value.presets.map { it.trade })
            assertEquals("44.00", today.state.value.presets[1].rate, "last-used rate")

            assertTrue(today.startToday())
            val copied = assertNotNull(today.state.value.sheet)
            assertEquals(Fixtures.today.toString(), copied.workDate)
            assertEquals(listOf("木工" to 4L, "瓦工" to 3L), copied.lines.map { it.trade to it.headcount })

            val carpenters = copied.lines.first { it.trade == "木工" }
            assertTrue(today.nudgeHeadcount(carpenters.id, +2))
            assertEquals("3336.00", assertNotNull(today.state.value.sheet).totalCost, "6×380 + 3×8×44")
            assertTrue(today.remove(copied.lines.first { it.trade == "瓦工" }.id))
            val left = assertNotNull(today.state.value.sheet)
            assertEquals("2280.00", left.totalCost)
            assertEquals(left, repo.sheet(left.info.id), "what the screen shows is what is stored")
            assertEquals("2576.00", repo.sheet(assertNotNull(yesterday.state.value.sheet).info.id).totalCost, "yesterday untouched")

            // Editing a line opens it in the form and saves over it, not beside it.
            today.edit(left.lines.single())
            today.change { it.copy(rate = "390.00") }
            assertTrue(today.save())
            val edited = assertNotNull(today.state.value.sheet)
            assertEquals(1, edited.lines.size)
            assertEquals("2340.00", edited.totalCost)
        }
    }

    private data class Line(val trade: String, val headcount: String, val unit: EffortUnit, val effort: String, val rate: String)
}
