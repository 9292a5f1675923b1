package com.fieldledger.sample.core

import java.io.File
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.mobile_core.GeoPoint
import uniffi.mobile_core.PhotoContext
import uniffi.mobile_core.ProgressMeasure

class ExpenseAndProgressViewModelTest {
    private val site = Fixtures.site
    private val gps = GeoPoint(latitude = 31.2304, longitude = 121.4737, accuracyM = 8.0)

    @Test
    fun anExpenseWithAReceiptIsSavedOnceAndItsPhotoWaitsForUpload() = runBlocking {
        Fixtures.repo().use { repo ->
            val dir = Fixtures.freshDir("camera")
            val vm = ExpenseViewModel(repo, site, Fixtures.clockOn(Fixtures.today))
            assertTrue(vm.load())
            assertTrue("materials" in vm.state.value.categories, "${vm.state.value.categories}")
            assertEquals(listOf("03", "03-100", "05-100"), vm.state.value.costCodes.map { it.code })

            vm.change { it.copy(amount = "1280.50", category = "materials", vendor = "五金店", costCode = "03-100") }
            val shotAt = 1_790_000_000_000L
            vm.addReceipt(PickedPhoto(Fixtures.jpeg(dir, "receipt.jpg").path, PhotoContext(shotAt, gps)))
            assertTrue(vm.save(), "${vm.state.value}")

            val saved = assertNotNull(vm.state.value.saved)
            assertEquals("1280.50", saved.amount)
            assertEquals("CNY", saved.currency)
            val receipt = saved.receipts.single()
            assertEquals(shotAt, receipt.capturedAtMs)
            assertEquals(gps.latitude, assertNotNull(receipt.location).latitude)
            assertTrue(File(receipt.thumbnailPath).isFile, "the thumbnail is on the phone")
            assertTrue(vm.state.value.receipts.isEmpty(), "nothing left to attach")
            assertEquals(1u, repo.unsynced().photos, "the original waits for upload")

            // Saving again (a corrected amount) updates the same expense.
            vm.change { it.copy(amount = "1290") }
            assertTrue(vm.save())
            assertEquals(saved.info.id, assertNotNull(vm.state.value.saved).info.id)
            assertEquals("1290.00", repo.expense(saved.info.id).amount)
            assertEquals(1, repo.records(site, null, null).size, "no duplicate")
        }
    }

    @Test
    fun badAmountsAndBadReceiptsAreRefusedWithoutLosingWhatIsSaved() = runBlocking {
        Fixtures.repo().use { repo ->
            val dir = Fixtures.freshDir("camera")
            val vm = ExpenseViewModel(repo, site, Fixtures.clockOn(Fixtures.today))
            vm.load()
            for (typo in listOf("12,34", "1e5", "NaN", "12.345", "")) {
                vm.change { it.copy(amount = typo, category = "materials", costCode = "03-100") }
                assertFalse(vm.save(), "amount $typo refused")
                assertEquals(setOf("amount"), vm.state.value.fieldErrors.keys, "for $typo")
                assertNull(vm.state.value.saved)
            }
            assertEquals(0, repo.records(site, null, null).size, "nothing was created")

            // A text file named .jpg, then a real receipt: the expense is kept, the bad file is named and stays listed.
            val fake = File(dir, "not-a-photo.jpg").apply { writeText("this is not a JPEG") }
            val good = Fixtures.jpeg(dir, "good.jpg", 800, 600)
            vm.change { it.copy(amount = "35.00") }
            vm.addReceipt(PickedPhoto(fake.path))
            vm.addReceipt(PickedPhoto(good.path))
            assertFalse(vm.save())
            assertIs<UiError.Photo>(vm.state.value.error)
            val kept = assertNotNull(vm.state.value.saved)
            assertEquals(0, kept.receipts.size)
            assertEquals(listOf(fake.path, good.path), vm.state.value.receipts.map { it.path })

            vm.removeReceipt(fake.path)
            assertNull(vm.state.value.error)
            assertTrue(vm.save())
            assertEquals(kept.info.id, assertNotNull(vm.state.value.saved).info.id)
            assertEquals(1, repo.expense(kept.info.id).receipts.size)
            assertEquals(1, repo.records(site, null, null).size)
        }
    }

    @Test
    fun aProgressReportTakesItsUnitFromTheActivityAndKeepsPhotoTimeAndPlace() = runBlocking {
        Fixtures.repo().use { repo ->
            val dir = Fixtures.freshDir("camera")
            val vm = ProgressPhotoViewModel(repo, site, Fixtures.clockOn(Fixtures.today))
            assertTrue(vm.load())
            val pour = vm.state.value.activities.single()
            vm.choose(pour)
            assertEquals("m3", vm.state.value.draft.unit)

            // Over 100 % is refused, and no report is created.
            vm.change { it.copy(measure = MeasureKind.PERCENT, value = "120") }
            assertFalse(vm.save())
            assertEquals(setOf("percent"), vm.state.value.fieldErrors.keys)
            assertEquals(0, repo.records(site, null, null).size)

            vm.change { it.copy(measure = MeasureKind.QUANTITY, value = "12.5", caption = "南侧浇筑完成") }
            val shots = (1..2).map { i -> PickedPhoto(Fixtures.jpeg(dir, "pour-$i.jpg", seed = i).path, PhotoContext(1_790_000_000_000L + i, gps)) }
            shots.forEach(vm::addPhoto)
            assertTrue(vm.save(), "${vm.state.value}")
            val s = vm.state.value
            assertEquals(2, s.attached)
            assertEquals(2, s.toAttach)
            val report = assertNotNull(s.saved)
            assertEquals(ProgressMeasure.Quantity(installed = "12.5", unit = "m3"), report.measure)
            assertEquals(listOf(1_790_000_000_001L, 1_790_000_000_002L), report.photos.map { it.capturedAtMs })
            assertEquals(report, repo.progress(report.info.id))
            assertEquals(2u, repo.unsynced().photos)
        }
    }
}
