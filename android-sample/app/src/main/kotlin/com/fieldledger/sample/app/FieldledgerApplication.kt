package com.fieldledger.sample.app

import android.app.Application
import com.fieldledger.sample.core.FieldRepository
import java.io.File

/** Holds the one open store of the signed-in foreman for the whole process (opening it per screen would be wasteful). */
class FieldledgerApplication : Application() {
    var settings: AppSettings = AppSettings()
        private set
    private var repository: FieldRepository? = null

    override fun onCreate() {
        super.onCreate()
        settings = AppSettings.load(this)
    }

    fun updateSettings(new: AppSettings) {
        if (new.author != settings.author) closeStore()
        settings = new
        new.save(this)
    }

    /** The store in the app's private files (backed up with them), opened on first use. */
    fun repository(): FieldRepository = repository ?: FieldRepository.open(
        File(filesDir, "fieldledger/store.db").apply { parentFile?.mkdirs() }.path,
        settings.author,
    ).also { repository = it }

    /** After sign-out (the store was wiped) or a change of user. */
    fun closeStore() {
        repository?.close()
        repository = null
    }
}
