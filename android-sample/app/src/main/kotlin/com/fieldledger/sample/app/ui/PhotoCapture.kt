package com.fieldledger.sample.app.ui

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.location.LocationManager
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.ui.platform.LocalContext
import androidx.core.content.ContextCompat
import androidx.core.content.FileProvider
import com.fieldledger.sample.core.PickedPhoto
import java.io.File
import uniffi.mobile_core.GeoPoint
import uniffi.mobile_core.PhotoContext

/** Starts the camera or the photo picker; each hands a file path (what the core ingests) to the callback. */
class PhotoCapture(val takePhoto: () -> Unit, val pickPhoto: () -> Unit)

@Composable
fun rememberPhotoCapture(onPhoto: (PickedPhoto) -> Unit): PhotoCapture {
    val context = LocalContext.current
    val pending = remember { arrayOfNulls<File>(1) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { saved ->
        val file = pending[0]
        if (saved && file != null) {
            // The camera gives no metadata back: the capture time is now, the place is the last GPS fix.
            onPhoto(PickedPhoto(file.path, PhotoContext(capturedAtMs = System.currentTimeMillis(), location = lastFix(context))))
        }
    }
    val location = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { }
    val picker = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri: Uri? ->
        // A picked photo keeps its own EXIF time and place, which the core reads: no context is passed.
        if (uri != null) copyToCache(context, uri)?.let { onPhoto(PickedPhoto(it.path)) }
    }
    return PhotoCapture(
        takePhoto = {
            if (ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_FINE_LOCATION) != PackageManager.PERMISSION_GRANTED) {
                location.launch(Manifest.permission.ACCESS_FINE_LOCATION)
            }
            val file = File(context.cacheDir, "camera/${System.currentTimeMillis()}.jpg").apply { parentFile?.mkdirs() }
            pending[0] = file
            camera.launch(FileProvider.getUriForFile(context, "${context.packageName}.photos", file))
        },
        pickPhoto = { picker.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly)) },
    )
}

private fun copyToCache(context: Context, uri: Uri): File? {
    val file = File(context.cacheDir, "camera/picked-${System.currentTimeMillis()}").apply { parentFile?.mkdirs() }
    val input = context.contentResolver.openInputStream(uri) ?: return null
    input.use { src -> file.outputStream().use { dst -> src.copyTo(dst) } }
    return file
}

@SuppressLint("MissingPermission") // checked just above the call
private fun lastFix(context: Context): GeoPoint? {
    if (ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_FINE_LOCATION) != PackageManager.PERMISSION_GRANTED) {
        return null
    }
    val manager = context.getSystemService(Context.LOCATION_SERVICE) as LocationManager
    val fix = listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)
        .mapNotNull { runCatching { manager.getLastKnownLocation(it) }.getOrNull() }
        .maxByOrNull { it.time } ?: return null
    return GeoPoint(latitude = fix.latitude, longitude = fix.longitude, accuracyM = if (fix.hasAccuracy()) fix.accuracy.toDouble() else null)
}
