package com.fieldledger.sample.app

import android.content.Context
import com.fieldledger.sample.core.ServerAccount
import com.fieldledger.sample.core.SiteContext

/**
 * Who and where this phone records for, kept in SharedPreferences. A production app keeps the device token in the
 * Android Keystore (EncryptedSharedPreferences); the sample keeps it plain to stay short.
 */
data class AppSettings(
    val serverUrl: String = "http://10.0.2.2:8080",
    val token: String = "",
    val author: String = "",
    val projectId: String = "P1",
    val siteId: String = "S1",
    val siteName: String = "",
    val timeZone: String = "Asia/Shanghai",
) {
    val complete: Boolean get() = token.isNotBlank() && author.isNotBlank() && projectId.isNotBlank() && siteId.isNotBlank()
    val site: SiteContext get() = SiteContext(projectId, siteId, siteName.ifBlank { siteId }, timeZone)
    val account: ServerAccount get() = ServerAccount(serverUrl.trimEnd('/'), token)

    companion object {
        private const val PREFS = "fieldledger"

        fun load(context: Context): AppSettings {
            val p = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
            val d = AppSettings()
            return AppSettings(
                serverUrl = p.getString("server_url", d.serverUrl) ?: d.serverUrl,
                token = p.getString("token", "") ?: "",
                author = p.getString("author", "") ?: "",
                projectId = p.getString("project_id", d.projectId) ?: d.projectId,
                siteId = p.getString("site_id", d.siteId) ?: d.siteId,
                siteName = p.getString("site_name", "") ?: "",
                timeZone = p.getString("time_zone", d.timeZone) ?: d.timeZone,
            )
        }
    }

    fun save(context: Context) {
        context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).edit()
            .putString("server_url", serverUrl).putString("token", token).putString("author", author)
            .putString("project_id", projectId).putString("site_id", siteId).putString("site_name", siteName)
            .putString("time_zone", timeZone)
            .apply()
    }
}
